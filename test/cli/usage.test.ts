import { main } from '../../cli/main';

/** Usage errors exit 2 with one line that says what to give, before any AWS call. */
let stdout: string;
let stderr: string;
beforeEach(() => {
  stdout = '';
  stderr = '';
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
});
afterEach(() => jest.restoreAllMocks());

test('plangate without a command prints the help and exits 2; asked for, the help exits 0', async () => {
  expect(await main([])).toBe(2);
  expect(stdout + stderr).toContain('Usage: plangate [options] [command]');
  expect(await main(['--help'])).toBe(0);
  expect(await main(['help', 'list'])).toBe(0);
});

test.each([
  [['approve', 'plan-abc', '--comment', 'x'.repeat(1001)], 'plangate: --comment takes at most 1000 characters; this one has 1001\n'],
  [['release', 'plan-abc', '--reason', 'x'.repeat(1001)], 'plangate: --reason takes at most 1000 characters; this one has 1001\n'],
])('plangate %s… exits 2, naming the option and its limit', async (args, message) => {
  expect(await main(['--region', 'us-east-1', '--api-url', 'http://127.0.0.1:9/', ...args])).toBe(2);
  expect(stderr).toBe(message);
});

test.each([['--endpoint'], ['--api-url']])(
  '%s with something that is not an http URL exits 2, naming the option and what it takes',
  async (option) => {
    for (const value of ['not a url', 'file:///etc/passwd']) {
      stderr = '';
      expect(await main([option, value, 'list'])).toBe(2);
      expect(stderr).toContain(`option '${option} <url>' argument '${value}' is invalid. give an http or https URL, e.g. http://localhost:8642`);
      expect(stderr).not.toContain('TypeError');
    }
  },
);
