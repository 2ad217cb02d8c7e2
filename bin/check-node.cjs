// Run before every npm script (the "pre…" scripts in package.json), with whatever Node.js npm found, so it refuses
// an old one at once with what to do, rather than a script failing deep inside (on Node.js 20: "Promise.withResolvers
// is not a function"). `npm ci` itself refuses through .npmrc's engine-strict. Old syntax on purpose: it must parse anywhere.
'use strict';
var required = require('../package.json').engines.node; // ">=22.13"
var minimum = /^>=(\d+)\.(\d+)$/.exec(required);
var actual = process.versions.node.split('.').map(Number);
if (!minimum) throw new Error(`package.json engines.node must read ">=MAJOR.MINOR", not ${required}`);
if (actual[0] < Number(minimum[1]) || (actual[0] === Number(minimum[1]) && actual[1] < Number(minimum[2]))) {
  process.stderr.write(
    'PlanGate needs Node.js ' +
      minimum[1] +
      '.' +
      minimum[2] +
      ' or later (24, as in .nvmrc, is what it runs and is tested on); ' +
      'this is Node.js ' +
      process.versions.node +
      '.\n' +
      'Get it with nvm (`nvm install` in this folder reads .nvmrc) or from https://nodejs.org/, then run `npm ci` again.\n',
  );
  process.exit(1);
}
