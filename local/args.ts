import { createServer } from 'node:net';
import { parseArgs as parseNodeArgs } from 'node:util';

/** `npm run local` and `npm run demo` take the same options; the demo has one more. */
export type Command = 'local' | 'demo';

export interface LocalArgs {
  port: number;
  host: string;
  context: Record<string, string>;
  help: boolean;
  /** Runs time at this scale (0 < F <= 1): see LocalModeOptions.timeScale. @default - local mode's shortened waits */
  timeScale?: number;
  /** Requests per second each Service Catalog API answers before it throttles: see LocalModeOptions.serviceCatalogTps. @default no limit */
  serviceCatalogTps?: number;
  /** Demo only: stop once both runs have ended, instead of serving until Ctrl-C. */
  exitWhenDone: boolean;
}

export const DEFAULT_PORT = 8642;

const ABOUT: Record<Command, string> = {
  local: 'Runs the whole PlanGate workflow on one port, with no AWS account, until Ctrl-C.',
  demo: [
    'Starts local mode with auto-approval up to LOW, then two runs: the LOW-risk dashboard plan, which runs',
    "at once, and the HIGH-risk orders plan, which waits for two approvers. Prints Alice's and Bob's links, each",
    'approval as it counts and each outcome, then keeps serving (outbox, approval pages, audit record) until Ctrl-C.',
  ].join('\n'),
};

export function usage(command: Command): string {
  return [
    `Usage: npm run ${command} -- [options]`,
    '',
    ABOUT[command],
    '',
    'Options:',
    `  --port N                 Port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)`,
    '  --host H                 Address to listen on (default 127.0.0.1)',
    '  -c, --context K=V        A configuration value, as with cdk -c; repeat for more (e.g. -c plangate:autoApproveUpTo=NONE)',
    '  --time-scale F           Run time F times as fast as AWS (0 < F <= 1): waits, timeouts and record durations scale',
    '                           (Lambda task timeouts no lower than 30 real seconds)',
    '  --service-catalog-tps N  Throttle each Service Catalog API above N requests per second (ThrottlingException), as AWS does',
    ...(command === 'demo' ? ['  --exit-when-done         Stop once both runs have ended: exit 0 if they ended SUCCEEDED or REJECTED, else 1'] : []),
    '  -h, --help               Show this help and exit',
  ].join('\n');
}

const optionList = (command: Command) =>
  `--port N, --host H, --context key=value, --time-scale F, --service-catalog-tps N${command === 'demo' ? ', --exit-when-done' : ''}, --help`;

/** Parses the command line with node:util's parseArgs, naming what is wrong in the words of this command's options. */
export function parseArgs(argv: string[], command: Command = 'local'): LocalArgs {
  let values: {
    port?: string;
    host?: string;
    context?: string[];
    help?: boolean;
    'time-scale'?: string;
    'service-catalog-tps'?: string;
    'exit-when-done'?: boolean;
  };
  try {
    values = parseNodeArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        context: { type: 'string', short: 'c', multiple: true },
        help: { type: 'boolean', short: 'h' },
        'time-scale': { type: 'string' },
        'service-catalog-tps': { type: 'string' },
        ...(command === 'demo' ? { 'exit-when-done': { type: 'boolean' as const } } : {}),
      },
    }).values as typeof values;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const quoted = /'([^' ]+)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new Error(`Unknown option ${quoted}. Options: ${optionList(command)}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new Error(`Unexpected argument ${quoted}. Options: ${optionList(command)}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new Error(`${/--[\w-]+/.exec(message)?.[0] ?? quoted} needs a value`);
    throw error;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (values.port === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be a whole number from 0 to 65535 (got ${values.port})`);
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--context takes key=value (got ${pair})`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && (values['time-scale'] === '' || !Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1)) {
    throw new Error(`--time-scale must be a number above 0 and at most 1, such as 0.01 (got ${values['time-scale']})`);
  }
  const tps = values['service-catalog-tps'];
  const serviceCatalogTps = tps === undefined ? undefined : Number(tps);
  if (serviceCatalogTps !== undefined && (tps === '' || !Number.isFinite(serviceCatalogTps) || serviceCatalogTps <= 0)) {
    throw new Error(`--service-catalog-tps must be a number of requests per second above 0, such as 10 (got ${tps})`);
  }
  return {
    port,
    host: values.host ?? '127.0.0.1',
    context,
    help: values.help ?? false,
    timeScale,
    serviceCatalogTps,
    exitWhenDone: values['exit-when-done'] ?? false,
  };
}

/**
 * Fails at once when something already listens on the port: local mode binds only after synthesizing the
 * stack, seconds later. Port 0 always finds a free port.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new Error(portInUse(host, port)) : error));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export const portInUse = (host: string, port: number) =>
  `port ${port} on ${host} is already in use (is local mode running already?). Stop what uses it, or choose another port: --port ${port === 65_535 ? port - 1 : port + 1}, or --port 0 for any free one.`;

/** The reason local mode could not start, in words; a port taken between the check and the start still names the port. */
export function startError(error: unknown, args: Pick<LocalArgs, 'host' | 'port'>): string {
  return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse(args.host, args.port) : (error as Error).message;
}
