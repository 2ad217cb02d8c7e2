import { rmSync } from 'node:fs';

/** Jest's global teardown: removes what test/setup/build-once.ts built (the first project to end does). */
export default function removeBuild(): void {
  const dir = process.env.PLANGATE_TEST_BUILD;
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  delete process.env.PLANGATE_TEST_BUILD;
}
