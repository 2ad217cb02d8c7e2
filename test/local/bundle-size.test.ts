import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BUNDLE_LIMIT_BYTES } from '../../lib/bundling';
import { FUNCTIONS } from '../../lib/functions';
import { handlerBundles } from '../support/prebuilt';

/**
 * The handler bundles the global setup built once, with the options CDK deploys them with (lib/bundling.ts): each
 * within the limit that keeps a cold start's module loading near one SDK client's (bench/bundles.ts measures it).
 */
test('every function bundle is at most 160 KB, its source map aside', () => {
  const dir = handlerBundles();
  const bundles = readdirSync(dir).filter((file) => file.endsWith('.js'));
  expect(bundles.map((file) => path.basename(file, '.js')).sort()).toEqual(Object.keys(FUNCTIONS).sort());
  const over = bundles
    .map((file) => {
      const code = readFileSync(path.join(dir, file), 'utf8');
      const map = code.lastIndexOf('\n//# sourceMappingURL=');
      return { file, bytes: Buffer.byteLength(map === -1 ? code : code.slice(0, map)) };
    })
    .filter(({ bytes }) => bytes > BUNDLE_LIMIT_BYTES)
    .map(({ file, bytes }) => `${file}: ${(bytes / 1024).toFixed(0)} KB`);
  expect(over).toEqual([]);
});
