import { rmSync } from 'node:fs';

/** Jest's global teardown, after the run: removes what test/setup/build-once.ts built (several projects name it; the first removes). */
export default function removeBuild(): void {
  const dir = process.env.PLANGATE_TEST_BUILD;
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  delete process.env.PLANGATE_TEST_BUILD;
}
