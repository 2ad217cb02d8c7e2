import { main } from '../../cli/main';
import { captureCliOutput } from '../support/cli-output';

/** Usage errors exit 2 with one line that says what to give, before any AWS call. */
const output = captureCliOutput();

test('plangate without a command prints the help and exits 2; asked for, the help exits 0', async () => {
  expect(await main([])).toBe(2);
  expect(output.stdout + output.stderr).toContain('Usage: plangate [options] [command]');
  expect(await main(['--help'])).toBe(0);
  expect(await main(['help', 'list'])).toBe(0);
});

test.each([
  [['start'], "error: missing required argument 'planId'"],
  [['start', 'bad id!'], 'planId must be 1-100 characters'],
  [['start', 'plan-x', '--language', 'fr'], 'Allowed choices are en, jp, zh'],
  [['list', '--since', 'yesterday'], 'give a positive whole number and a unit'],
  [['list', '--outcome', 'MAYBE'], 'Allowed choices are SUCCEEDED'],
  [['list', '--limit', '0'], 'give a whole number from 1 to 1000'],
  [['frobnicate'], "error: unknown command 'frobnicate'"],
])('plangate %j → exit 2, one line and no stack trace', async (args, message) => {
  expect(await main(args)).toBe(2);
  expect(output.stderr).toContain(message);
  expect(output.stderr).not.toMatch(/\n\s+at /);
});

test.each([
  [['approve', 'plan-abc', '--comment', 'x'.repeat(1001)], 'plangate: --comment takes at most 1000 characters; this one has 1001\n'],
  [['release', 'plan-abc', '--reason', 'x'.repeat(1001)], 'plangate: --reason takes at most 1000 characters; this one has 1001\n'],
])('plangate %s… exits 2, naming the option and its limit', async (args, message) => {
  expect(await main(['--region', 'us-east-1', '--api-url', 'http://127.0.0.1:9/', ...args])).toBe(2);
  expect(output.stderr).toBe(message);
});

test.each([['--endpoint'], ['--api-url']])(
  '%s with something that is not an http URL exits 2, naming the option and what it takes',
  async (option) => {
    for (const value of ['not a url', 'file:///etc/passwd']) {
      output.stderr = '';
      expect(await main([option, value, 'list'])).toBe(2);
      expect(output.stderr).toContain(
        `option '${option} <url>' argument '${value}' is invalid. give an http or https URL, e.g. http://localhost:8642`,
      );
      expect(output.stderr).not.toContain('TypeError');
    }
  },
);
