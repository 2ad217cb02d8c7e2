import Table from 'cli-table3';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { utcInstant } from '../lambdas/shared/contracts/execute-window';
import { STACK_NAME } from '../lambdas/shared/contracts/stack';
import { ACCEPT_LANGUAGES, type AcceptLanguage, OUTCOMES, planRefSchema } from '../lambdas/shared/contracts/steps';
import type { WindowActionName } from '../lambdas/shared/contracts/window-actions';
import { HIDDEN } from '../lambdas/shared/domain/text';
import { type Aws, type ConnectOptions, connect, explainAwsError } from './aws';
import { backfillHistory } from './backfill';
import { addBreakGlassCommands } from './break-glass';
import { decide, exitCodeOf, release } from './decide';
import { addEvidenceCommands } from './evidence';
import { CliError, EXIT, OUTCOME_EXIT } from './exit-codes';
import { findRun, isOutcome, listRuns, planKeyOf, progressLine, type RunStatus, startRun, waitForRun } from './runs';
import { windowAction, windowExitCode, windowLines } from './schedule';

/**
 * `plangate`: start and follow runs, see them, decide on plans and release them, from a shell or a CI job. AWS access
 * comes from the SDK's default credential chain and region; the stack's outputs say where PlanGate is.
 */

/** A plan id, or a spoke plan's `<accountId>:<region>:<planId>`. */
const planId = (value: string) => {
  const parsed = planRefSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues[0]!.message);
  return parsed.data;
};

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** "90s", "30m", "2h", "7d" in milliseconds. */
const duration = (value: string) => {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (!match || Number(match[1]) === 0) throw new InvalidArgumentError('give a positive whole number and a unit: 90s, 30m, 2h or 7d');
  return Number(match[1]) * UNITS[match[2]!]!;
};
/** The approval API's limit on a comment or reason: longer text is a usage error here, not an API error (exit 1). */
/** An RFC 3339 time in UTC, as executeWindow takes it; the run checks the window's bounds (INVALID_INPUT). */
const utcTimeArgument = (value: string) => {
  if (!utcInstant(value)) throw new InvalidArgumentError('give an RFC 3339 time in UTC ending in Z, e.g. 2026-12-05T02:00:00Z');
  return value;
};

/** --not-before and --not-after: an execution window, both or neither. */
function executeWindowOf(options: { notBefore?: string; notAfter?: string }) {
  const { notBefore, notAfter } = options;
  if (!notBefore && !notAfter) return undefined;
  if (!notBefore || !notAfter) throw new CliError('an execution window takes both --not-before and --not-after', EXIT.usage);
  return { notBefore, notAfter };
}

interface StartOptions {
  language?: AcceptLanguage;
  wait?: boolean;
  timeout: number;
  notBefore?: string;
  notAfter?: string;
  json?: boolean;
}

const MAX_TEXT = 1000;
/** Checked in the action, as commander would repeat the whole text in its message. */
function upToMaxText(option: string, value: string | undefined): string | undefined {
  if (value && value.length > MAX_TEXT)
    throw new CliError(`${option} takes at most ${MAX_TEXT} characters; this one has ${value.length}`, EXIT.usage);
  return value;
}
const httpUrl = (value: string) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) throw new InvalidArgumentError('give an http or https URL, e.g. http://localhost:8642');
  return value;
};
const positiveInt = (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError('give a whole number from 1 to 1000');
  return Number(value);
};

/**
 * Text from plans, records and people, made harmless on a terminal: control characters (escape sequences that could
 * recolour, retitle or clear it, or a newline that fakes an extra line), bidirectional overrides and the other
 * invisible characters the notifications remove become U+FFFD.
 */
const terminalSafe = (text: string): string => text.replace(HIDDEN, '\uFFFD');
/**
 * The same characters in JSON output, as \u escapes: the same JSON value, but nothing raw reaches the terminal. (Raw C0
 * characters there are the layout's own line breaks: JSON.stringify escapes them inside strings.)
 */
const escapeUnit = (unit: string) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
const jsonSafe = (json: string): string => json.replace(HIDDEN, (c) => (c < ' ' ? c : c.split('').map(escapeUnit).join('')));

/** Prints a line on stdout; tables are built from terminalSafe cells, so only their own colours reach the terminal. */
const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const say = (text: string): void => print(terminalSafe(text));
const tell = (text: string): void => {
  process.stderr.write(`${terminalSafe(text)}\n`);
};
const json = (value: unknown): void => print(jsonSafe(JSON.stringify(value, null, 2)));

/** Colours only on a terminal: piped or in CI, plain text. */
const style = () => (process.stdout.isTTY ? {} : { style: { head: [], border: [] } });

function statusTable(run: RunStatus): string {
  const table = new Table(style());
  const rows: [string, string | undefined][] = [
    ['Where', run.accountId && `account ${run.accountId}${run.accountName ? ` (${run.accountName})` : ''}, region ${run.region}`],
    ['Plan', run.planId],
    ['Run', run.executionArn],
    ['Status', run.status],
    ['Phase', run.status === 'RUNNING' ? progressLine(run) : undefined],
    [
      'Approval',
      run.approval &&
        `${run.approval.status}, ${run.approval.approvals.length} of ${run.approval.required} approvals${run.approval.approvals.length ? ` (${run.approval.approvals.join(', ')})` : ''}${run.approval.waiting ? `; ${run.approval.waiting}` : ''}`,
    ],
    ['Decided by', run.approval?.decidedBy],
    ['Record', run.recordStatus],
    ['Window', run.executeWindow && `not before ${run.executeWindow.notBefore}, not after ${run.executeWindow.notAfter}`],
    ['Window actions', run.windowActions?.join('\n')],
    ['Outcome', run.outcome],
    ['Reason', run.reason],
    ['Started', run.startedAt],
    ['Ended', run.stoppedAt],
  ];
  for (const [key, value] of rows) if (value) table.push({ [key]: terminalSafe(value) });
  return table.toString();
}

function listTable(runs: RunStatus[]): string {
  const table = new Table({ head: ['Plan', 'Started', 'Status', 'Approvals', 'Outcome', 'Run'], ...style() });
  for (const run of runs) {
    const cells = [
      run.planId ? (run.accountId ? `${run.accountId}:${run.region}:${run.planId}` : run.planId) : '?',
      run.startedAt ?? '',
      run.status === 'RUNNING' ? progressLine(run) : run.status,
      run.approval ? `${run.approval.approvals.length} of ${run.approval.required}` : '',
      run.outcome ?? '',
      run.executionArn.split(':').pop() ?? '',
    ];
    table.push(cells.map(terminalSafe));
  }
  return table.toString();
}

function program(): Command {
  const cli = new Command('plangate')
    .description('Start, follow and decide PlanGate runs')
    .option('--stack <name>', 'the PlanGate stack whose outputs say where it is', STACK_NAME)
    .option('--region <region>', 'AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, or your profile’s)')
    .option('--endpoint <url>', 'send every AWS call here, e.g. local mode: http://localhost:8642', httpUrl)
    .option('--state-machine-arn <arn>', 'skip the stack lookup for the state machine')
    .option('--table-name <name>', 'skip the stack lookup for the approval table')
    .option('--api-url <url>', 'skip the stack lookup for the approval API', httpUrl)
    .option('--evidence-bucket <name>', 'skip the stack lookup for the evidence bucket')
    .option('--signing-key-arn <arn>', 'skip the stack lookup for the evidence signing key')
    .showHelpAfterError('(run plangate --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 success; 1 error (AWS, credentials, unknown plan); 2 bad arguments; 3 --wait timed out;\n' +
        '4 refused (not an approver, self-approval); 5 conflict (already decided, run still running); 6 expired or closed;\n' +
        '7 break-glass used up for now (try after the time it names);\n' +
        '8 evidence does not verify;\n' +
        '10+ a run’s outcome with --wait (see the README).',
    );
  const aws = (): Aws => connect(cli.opts<ConnectOptions>());

  cli
    .command('start')
    .description('start a run for a plan; with --wait, follow it and exit with its outcome')
    .argument('<planId>', 'the provisioned product plan id (a spoke account’s: <accountId>:<region>:<planId>)', planId)
    .addOption(new Option('--language <code>', 'AcceptLanguage for Service Catalog').choices(ACCEPT_LANGUAGES))
    .option('--wait', 'follow the run to its end and exit with its outcome')
    .option('--timeout <duration>', 'with --wait, give up after this long (e.g. 30m, 2h)', duration, 2 * 3_600_000)
    .option('--not-before <time>', 'execute the approved plan no earlier than this (RFC 3339 UTC, with --not-after)', utcTimeArgument)
    .option('--not-after <time>', 'and no later than this, or the run ends WINDOW_MISSED', utcTimeArgument)
    .option('--json', 'print JSON')
    .action(async (id: string, options: StartOptions) => {
      const executeWindow = executeWindowOf(options);
      const connection = aws();
      const target = await connection.target();
      const { executionArn, requestedBy } = await startRun(connection, target, id, options.language, executeWindow);
      tell(`Started ${executionArn} for plan ${id}, as ${requestedBy}`);
      if (!options.wait) {
        if (options.json) json({ executionArn, requestedBy });
        else print(executionArn);
        return;
      }
      const run = await waitForRun(connection, target, executionArn, {
        timeoutMs: options.timeout,
        pollMs: Number(process.env.PLANGATE_POLL_MS) || 2_000,
        onProgress: (line) => tell(`  ${line}`),
      });
      if (options.json) json(run);
      else say(`${run.outcome ?? run.status}: ${run.reason ?? ''}`.trim());
      process.exitCode = run.outcome ? OUTCOME_EXIT[run.outcome] : EXIT.error;
    });

  cli
    .command('status')
    .description("show a plan's run (its newest) or a run by execution ARN")
    .argument('<planIdOrExecutionArn>')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }) => {
      if (!ref.startsWith('arn:')) planId(ref);
      const connection = aws();
      const run = await findRun(connection, await connection.target(), ref.startsWith('arn:') ? ref : await planKeyOf(connection, ref));
      if (options.json) json(run);
      else print(statusTable(run));
    });

  cli
    .command('list')
    .description('list recent runs, newest first')
    .option('--pending', 'only runs waiting for approval')
    .addOption(new Option('--outcome <outcome>', 'only runs that ended so').choices(OUTCOMES))
    .option('--since <duration>', 'runs started within this long (e.g. 1d, 7d)', duration, 7 * 86_400_000)
    .option('--limit <n>', 'at most this many runs', positiveInt, 50)
    .option('--json', 'print JSON')
    .action(async (options: { pending?: boolean; outcome?: string; since: number; limit: number; json?: boolean }) => {
      const connection = aws();
      const outcome = options.outcome && isOutcome(options.outcome) ? options.outcome : undefined;
      const runs = await listRuns(connection, await connection.target(), {
        pending: Boolean(options.pending),
        outcome,
        since: new Date(Date.now() - options.since),
        limit: options.limit,
      });
      if (options.json) json(runs);
      else print(runs.length ? listTable(runs) : 'No runs match.');
    });

  cli
    .command('backfill-history')
    .description('after upgrading: add the history index keys to approval records written before the index')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const connection = aws();
      const counts = await backfillHistory(connection, await connection.target());
      if (options.json) json(counts);
      else say(`Scanned ${counts.scanned} items; wrote the history keys on ${counts.written} approval records.`);
    });

  for (const verb of ['approve', 'reject'] as const) {
    cli
      .command(verb)
      .description(`${verb} a plan as yourself: your IAM principal must match an approver's iamPrincipals`)
      .argument('<planId>', 'the plan waiting for approval', planId)
      .option('--comment <text>', 'recorded with your decision (at most 1000 characters)')
      .option('--json', 'print JSON')
      .action(async (id: string, options: { comment?: string; json?: boolean }) => {
        const comment = upToMaxText('--comment', options.comment);
        const connection = aws();
        const answer = await decide(connection, await planKeyOf(connection, id), verb, comment);
        process.exitCode = exitCodeOf(answer);
        if (options.json) return json(answer.body);
        const approvals = answer.body.approvals as { approver: string }[] | undefined;
        const waiting = answer.body.waiting ? ` ${answer.body.waiting}.` : '';
        const tally =
          answer.body.status === 'PENDING' && approvals
            ? ` ${approvals.length} of ${answer.body.requiredApprovals} approvals, by ${approvals.map((a) => a.approver).join(', ')}.${waiting}`
            : '';
        say(`${answer.body.message}${tally}`);
      });
  }

  addBreakGlassCommands(cli, { aws, planId, upToMaxText, say, tell, json });

  cli
    .command('release')
    .description('close and release the approval of a plan whose run is gone, so a new run may claim it')
    .argument('<planId>', 'the plan to release', planId)
    .option('--reason <text>', 'recorded with the release (at most 1000 characters)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { reason?: string; json?: boolean }) => {
      const reason = upToMaxText('--reason', options.reason);
      const connection = aws();
      const answer = await release(connection, await planKeyOf(connection, id), reason);
      exitCodeOf(answer);
      if (options.json) json(answer.body);
      else
        say(
          `Released plan ${id}: its approval is ${answer.body.status}${answer.body.outcome ? ` (${answer.body.outcome})` : ''}; a new run may claim it.`,
        );
    });
  addEvidenceCommands(cli, aws, { print, tell });
  windowCommands(cli, aws);
  return cli;
}

/** reschedule, cancel and run-now: a run waiting for its execution window (issue 23). */
function windowCommands(cli: Command, aws: () => Aws) {
  const act = async (id: string, action: WindowActionName, options: { reason?: string; json?: boolean }, window = {}) => {
    const reason = upToMaxText('--reason', options.reason);
    const connection = aws();
    const answer = await windowAction(connection, await planKeyOf(connection, id), action, { reason, ...window });
    process.exitCode = windowExitCode(answer);
    if (options.json) json(answer.body);
    else for (const line of windowLines(answer.body)) say(line);
  };
  cli
    .command('reschedule')
    .description('as an approver: move the execution window of a run waiting for it (the run then waits for the new one)')
    .argument('<planId>', 'the plan whose run waits for its window', planId)
    .requiredOption('--not-before <time>', 'the new window: no earlier than this (RFC 3339 UTC)', utcTimeArgument)
    .requiredOption('--not-after <time>', 'and no later than this', utcTimeArgument)
    .option('--reason <text>', 'recorded with the reschedule (at most 1000 characters)')
    .option('--json', 'print JSON')
    .action((id: string, options: { notBefore: string; notAfter: string; reason?: string; json?: boolean }) =>
      act(id, 'reschedule', options, { notBefore: options.notBefore, notAfter: options.notAfter }),
    );
  cli
    .command('cancel')
    .description('as an approver: cancel a run waiting for its execution window (it ends CANCELLED, nothing executed)')
    .argument('<planId>', 'the plan whose run waits for its window', planId)
    .option('--reason <text>', 'recorded with the cancellation and told to everyone notified (at most 1000 characters)')
    .option('--json', 'print JSON')
    .action((id: string, options: { reason?: string; json?: boolean }) => act(id, 'cancel', options));
  cli
    .command('run-now')
    .description('as an operator (plangate:windowOperators): end the wait of a windowed run now; it still revalidates')
    .argument('<planId>', 'the plan whose run waits for its window', planId)
    .option('--reason <text>', 'recorded with the run-now (at most 1000 characters)')
    .option('--json', 'print JSON')
    .action((id: string, options: { reason?: string; json?: boolean }) => act(id, 'run-now', options));
}

/** Runs the command line; returns the exit code. Expected failures print one line, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the problem, or the help: asked for (exit code 0), or because no command was given.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const known = error instanceof CliError ? error : explainAwsError(error);
    if (known) {
      tell(`plangate: ${known.message}`);
      return known.exitCode;
    }
    tell(`plangate: ${(error as Error).name}: ${(error as Error).message}`);
    if (process.env.PLANGATE_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return EXIT.error;
  }
}
