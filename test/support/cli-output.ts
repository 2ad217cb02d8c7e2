/**
 * What `plangate` prints, run in-process: for each test, process.stdout and process.stderr are captured into the
 * object returned (reset it to '' to read one command's output), and process.exitCode is cleared; afterwards
 * every mock is restored.
 */
export function captureCliOutput(): { stdout: string; stderr: string } {
  const output = { stdout: '', stderr: '' };
  beforeEach(() => {
    output.stdout = '';
    output.stderr = '';
    for (const stream of ['stdout', 'stderr'] as const) {
      jest.spyOn(process[stream], 'write').mockImplementation((chunk) => {
        output[stream] += String(chunk);
        return true;
      });
    }
    process.exitCode = undefined;
  });
  afterEach(() => jest.restoreAllMocks());
  return output;
}
