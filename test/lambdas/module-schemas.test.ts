import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

const shared = path.join(__dirname, '..', '..', 'lambdas', 'shared');

/** The module-level constants of lambdas/shared whose value is built with zod calls, not in a PURE-annotated arrow call. */
function unwrappedSchemas(): string[] {
  const found: string[] = [];
  for (const file of readdirSync(shared, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(shared, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    for (const statement of source.statements.filter(ts.isVariableStatement)) {
      for (const { name, initializer } of statement.declarationList.declarations) {
        if (!initializer || ts.isArrowFunction(initializer)) continue;
        // A zod call, or a call of a helper that builds a schema (`name('a group name')`).
        const builds = /\bz\.\w+\(/.test(initializer.getText(source)) || (ts.isCallExpression(initializer) && /Schema$/.test(name.getText(source)));
        if (!builds) continue;
        const wrapped = /\/\* @__PURE__ \*\/\s*$/.test(text.slice(0, initializer.getStart(source))) && /^\(\(\) =>/.test(initializer.getText(source));
        if (!wrapped) found.push(`${file}: ${name.getText(source)}`);
      }
    }
  }
  return found;
}

// Why: contracts/zod.ts. A schema built at module level without the wrapper is built by every bundle that imports its
// module, whether its function reads it or not.
test('every module-level schema under lambdas/shared is built in a PURE-annotated arrow call, so bundles drop those they never read', () => {
  expect(unwrappedSchemas()).toEqual([]);
});
