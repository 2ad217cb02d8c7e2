import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/** `plangate reschedule|cancel|run-now` (issue 23): bad arguments exit 2 before any AWS call, saying what to give. */
const output = captureCliOutput();

test.each([
  [
    'reschedule without --not-after',
    ['reschedule', 'plan-x', '--not-before', '2026-12-05T02:00:00Z'],
    "required option '--not-after <time>' not specified",
  ],
  [
    'reschedule with an offset',
    ['reschedule', 'plan-x', '--not-before', '2026-12-05T02:00:00+01:00', '--not-after', '2026-12-05T04:00:00Z'],
    'give an RFC 3339 time in UTC ending in Z',
  ],
  ['cancel with a reason too long', ['cancel', 'plan-x', '--reason', 'x'.repeat(1001)], '--reason takes at most 1000 characters; this one has 1001'],
  ['run-now of something not a plan', ['run-now', 'not a plan!'], 'planId must be 1-100 characters'],
])('plangate %s → exit 2', async (_, args, message) => {
  expect(await main(['--region', 'us-east-1', '--endpoint', 'http://127.0.0.1:9/', ...args])).toBe(2);
  expect(output.stderr).toContain(message);
  expect(output.stderr).not.toMatch(/\n\s+at /);
});

test('the help names the three commands and who may use each', async () => {
  expect(await main(['--help'])).toBe(0);
  expect(output.stdout).toMatch(/reschedule \[options\] <planId>\s+as an approver: move the execution window/);
  expect(output.stdout).toMatch(/cancel \[options\] <planId>\s+as an approver: cancel a run waiting/);
  expect(output.stdout).toMatch(/run-now \[options\] <planId>\s+as an operator \(plangate:windowOperators\)/);
});
