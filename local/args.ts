/** Parses `--port N --host H --context key=value` (also `-c key=value`) `--time-scale F`, naming what is wrong. */
export function parseArgs(argv: string[]): { port: number; host: string; context: Record<string, string>; timeScale?: number } {
  const result: { port: number; host: string; context: Record<string, string>; timeScale?: number } = { port: 8642, host: '127.0.0.1', context: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined && ['--port', '--host', '--context', '-c', '--time-scale'].includes(flag)) throw new Error(`${flag} needs a value`);
    if (flag === '--port') {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be a whole number from 0 to 65535 (got ${value})`);
      result.port = port;
    } else if (flag === '--time-scale') {
      const scale = Number(value);
      if (!Number.isFinite(scale) || scale <= 0 || scale > 1) throw new Error(`--time-scale must be a number above 0 and at most 1, such as 0.01 (got ${value})`);
      result.timeScale = scale;
    } else if (flag === '--host') {
      result.host = value!;
    } else if (flag === '--context' || flag === '-c') {
      const eq = value!.indexOf('=');
      if (eq < 1) throw new Error(`--context takes key=value (got ${value})`);
      result.context[value!.slice(0, eq)] = value!.slice(eq + 1);
    } else {
      throw new Error(`Unknown option ${flag}. Options: --port N, --host H, --context key=value, --time-scale F`);
    }
    i++;
  }
  return result;
}
