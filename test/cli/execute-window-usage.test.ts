import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/** `plangate start --not-before … --not-after …` (issue 23): a malformed or half window exits 2 before any AWS call. */
const output = captureCliOutput();

test.each([
  [['--not-before', '2026-12-05T02:00:00+01:00', '--not-after', '2026-12-05T04:00:00Z'], 'give an RFC 3339 time in UTC ending in Z'],
  [['--not-before', '2026-12-05T02:00:00Z'], 'an execution window takes both --not-before and --not-after'],
  [['--not-after', '2026-12-05T04:00:00Z'], 'an execution window takes both --not-before and --not-after'],
])('plangate start plan-x %j → exit 2, saying what to give', async (args, message) => {
  expect(await main(['--region', 'us-east-1', '--endpoint', 'http://127.0.0.1:9/', 'start', 'plan-x', ...args])).toBe(2);
  expect(output.stderr).toContain(message);
  expect(output.stderr).not.toMatch(/\n\s+at /);
});
