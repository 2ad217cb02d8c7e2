#!/usr/bin/env node
// The command line is TypeScript, run through tsx (a dependency), as `npm run local` runs local mode.
require('tsx/cjs');
const { main } = require('./main.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
