/**
 * How soon a run notices that its record has finished, and what noticing costs: `npm run bench`.
 *
 * A discrete-event simulation on a virtual clock (@sinonjs/fake-timers), driven by the real pieces: the synthesized
 * state machine, run by local mode's interpreter from the start of its polling loop on; the deployed CheckRecord and AwaitRecord
 * logic, with the poll settings the synthesized template gives them; RecordWaits on DynamoDB (dynalite). Only
 * Service Catalog (a record that turns SUCCEEDED after its duration) and the stack's events (1–3 s after the stack
 * settles, which is 0–4 s before the record does) are simulated. The baseline, a fixed 30 s loop of the same
 * CheckRecord, runs in the same simulation. Every figure is per run; ratios are against that baseline.
 *
 *   npm run bench                         all cases, deployed settings
 *   npm run bench -- --runs 300           fewer runs in the mix (default 1000)
 *   npm run bench -- --initial 30 --max 600   other safety-net settings
 *   npm run bench -- --mix-only            only the mix, and no bundles (to compare settings)
 */
import './quiet';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRecordCommand, ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import FakeTimers from '@sinonjs/fake-timers';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import type { FunctionName } from '../lib/functions';
import type { Execution, LambdaHandler } from '../local/step-functions';
import { synthesize } from '../local/synth';
import { createApprovalTable, type LocalWorkflow, loadWorkflow } from '../local/template';
import { bundleReport } from './bundles';
import { fixedLoop, LOOP_STATES, pollingPhase } from './polling-variants';
import { table } from './table';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    initial: { type: 'string' },
    max: { type: 'string' },
    seed: { type: 'string', default: '7' },
    'mix-only': { type: 'boolean', default: false },
  },
});

/** What reaches the run about its stack: nothing, or each settled status after a delivery latency, some lost. */
type Events = { latencySeconds: [number, number]; lost: number } | undefined;

interface Case {
  name: string;
  durations: number[];
}

interface RunResult {
  describeRecordCalls: number;
  lambdaInvocations: number;
  stateTransitions: number;
  /** Seconds from the record turning final to the check that saw it. */
  delaySeconds: number;
}

const SECONDS_PER_DAY = 86_400;
/** Service Catalog reports the record final this long after its stack settles (no published figure: an assumption). */
const RECORD_LAG_SECONDS: [number, number] = [0, 4];
const WITH_EVENTS: Events = { latencySeconds: [1, 3], lost: 0 };
const LOSSY_EVENTS: Events = { latencySeconds: [1, 3], lost: 0.05 };

/** A small seeded generator (mulberry32), so every run of the benchmark simulates the same records. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

async function main() {
  const rng = random(Number(args.seed));
  const between = ([low, high]: [number, number]) => low + (high - low) * rng();
  const runs = Number(args.runs);
  const logUniform = Array.from({ length: runs }, () => Math.exp(Math.log(20) + (Math.log(7_200) - Math.log(20)) * rng()));
  // About each duration (±10%): a record that takes exactly a multiple of 30 s would flatter the fixed loop.
  const about = (seconds: number) => Array.from({ length: 100 }, () => seconds * between([0.9, 1.1]));
  const cases: Case[] = [
    ...(args['mix-only']
      ? []
      : [
          { name: 'about 30 s', durations: about(30) },
          { name: 'about 2 min', durations: about(120) },
          { name: 'about 10 min', durations: about(600) },
          { name: 'about 45 min', durations: about(2_700) },
        ]),
    { name: `a mix (${runs} runs, log-uniform 20 s–2 h)`, durations: logUniform },
  ];

  const context: Record<string, unknown> = {};
  if (args.initial) context['plangate:pollInitialIntervalSeconds'] = Number(args.initial);
  if (args.max) context['plangate:pollMaxIntervalSeconds'] = Number(args.max);
  const workflow = loadWorkflow(synthesize(context).json);
  const env = workflow.environment;
  const settings = `safety net ${env.POLL_INITIAL_INTERVAL_SECONDS} s doubling to ${env.POLL_MAX_INTERVAL_SECONDS} s`;

  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((done) => db.listen(0, '127.0.0.1', done));
  Object.assign(process.env, env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(db.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  await createApprovalTable(new DynamoDBClient({}), workflow);

  const plangate = { name: `PlanGate, ${settings}`, workflow: pollingPhase(workflow) };
  const baseline = { name: 'fixed 30 s loop', workflow: fixedLoop(workflow) };
  const variants: { label: string; machine: typeof plangate; events: Events }[] = [
    { label: 'fixed 30 s loop (baseline)', machine: baseline, events: undefined },
    { label: 'stack events, 1–3 s', machine: plangate, events: WITH_EVENTS },
    { label: 'stack events, 5% lost', machine: plangate, events: LOSSY_EVENTS },
    { label: 'no events: safety net only', machine: plangate, events: undefined },
  ];

  console.log(`Record completion: ${plangate.name}; record lag 0–4 s after its stack; seed ${args.seed}\n`);
  for (const c of cases) {
    const rows: string[][] = [];
    let base: Summary | undefined;
    for (const variant of variants) {
      const results = await simulate(variant.machine.workflow, { durations: c.durations, events: variant.events, between, rng });
      const summary = summarize(results);
      base ??= summary;
      rows.push([
        variant.label,
        `${fixed(summary.calls)} (${ratio(summary.calls, base.calls)})`,
        `${fixed(summary.meanDelay)} s (${ratio(summary.meanDelay, base.meanDelay)})`,
        `${fixed(summary.p95Delay)} s (${ratio(summary.p95Delay, base.p95Delay)})`,
        `${fixed(summary.maxDelay)} s`,
        `${fixed(summary.transitions)} (${ratio(summary.transitions, base.transitions)})`,
        fixed(summary.invocations),
      ]);
    }
    console.log(`Records of ${c.name}`);
    table(['', 'DescribeRecord calls', 'mean delay', 'p95 delay', 'max delay', 'state transitions', 'Lambda invocations'], rows);
    console.log();
  }
  await new Promise((done) => db.close(done));
  if (!args['mix-only']) await bundleReport();
}

interface Summary {
  calls: number;
  meanDelay: number;
  p95Delay: number;
  maxDelay: number;
  transitions: number;
  invocations: number;
}

function summarize(results: RunResult[]): Summary {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const delays = results.map((r) => r.delaySeconds).sort((a, b) => a - b);
  return {
    calls: mean(results.map((r) => r.describeRecordCalls)),
    meanDelay: mean(delays),
    p95Delay: delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.95) - 1)]!,
    maxDelay: delays.at(-1)!,
    transitions: mean(results.map((r) => r.stateTransitions)),
    invocations: mean(results.map((r) => r.lambdaInvocations)),
  };
}

/**
 * Runs one run per duration, all started together on one virtual clock. Time moves only when nothing is in
 * flight (no handler running, no DynamoDB request): then the clock jumps to the next timer.
 */
async function simulate(
  workflow: LocalWorkflow,
  { durations, events, between, rng }: { durations: number[]; events: Events; between: (range: [number, number]) => number; rng: () => number },
): Promise<RunResult[]> {
  const clock = FakeTimers.install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    shouldClearNativeTimers: true,
    now: Date.parse('2026-01-05T09:00:00Z'),
  });
  const serviceCatalog = mockClient(ServiceCatalogClient);
  const sfnClient = mockClient(SFNClient);
  try {
    const { LocalStepFunctions } = await import('../local/step-functions');
    const { checkRecord } = await import('../lambdas/check-record/check-record');
    const { awaitRecord } = await import('../lambdas/await-record/await-record');
    const { RecordWaits } = await import('../lambdas/shared/adapters/record-waits');
    const { dynamo } = await import('../lambdas/shared/adapters/clients/dynamodb');
    const env = workflow.environment;
    const checkEnv = {
      POLL_INITIAL_INTERVAL_SECONDS: Number(env.POLL_INITIAL_INTERVAL_SECONDS),
      POLL_MAX_INTERVAL_SECONDS: Number(env.POLL_MAX_INTERVAL_SECONDS),
      POLL_TIMEOUT_SECONDS: Number(env.POLL_TIMEOUT_SECONDS),
    };
    const start = Date.now();
    const records = durations.map((seconds, i) => ({
      recordId: `rec-${i}`,
      provisionedProductId: `pp-${i}-${Math.floor(rng() * 1e9)}`,
      finalAt: start + seconds * 1000,
      result: { describeRecordCalls: 0, lambdaInvocations: 0, stateTransitions: 0, delaySeconds: Number.NaN } as RunResult,
    }));
    const byRecordId = new Map(records.map((r) => [r.recordId, r]));
    const byProduct = new Map(records.map((r) => [r.provisionedProductId, r]));

    serviceCatalog.on(DescribeRecordCommand).callsFake(({ Id }: { Id: string }) => {
      const record = byRecordId.get(Id)!;
      record.result.describeRecordCalls++;
      const status = Date.now() >= record.finalAt ? 'SUCCEEDED' : 'IN_PROGRESS';
      return {
        RecordDetail: { RecordId: Id, Status: status, ProvisionedProductId: record.provisionedProductId, RecordType: 'UPDATE_PROVISIONED_PRODUCT' },
        RecordOutputs: [],
      };
    });

    let inFlight = 0;
    const tracked = <T>(work: Promise<T>) => {
      inFlight++;
      return work.finally(() => inFlight--);
    };
    let machine: InstanceType<typeof LocalStepFunctions>;
    sfnClient.on(SendTaskSuccessCommand).callsFake(({ taskToken, output }: { taskToken: string; output: string }) => {
      machine.sendTaskSuccess(taskToken, output);
      return {};
    });
    const counted =
      (fn: (event: unknown) => Promise<unknown>, recordOf: (event: unknown) => (typeof records)[number] | undefined): LambdaHandler =>
      (event) =>
        tracked(
          (async () => {
            const record = recordOf(event);
            if (record) record.result.lambdaInvocations++;
            return fn(event);
          })(),
        );
    const handlers = new Proxy({} as Record<FunctionName, LambdaHandler>, {
      get: (_, name: FunctionName) => {
        if (name === 'CheckRecord') {
          return counted(
            async (event) => {
              const check = await checkRecord(event, checkEnv);
              const record = byRecordId.get(check.recordId)!;
              if (check.status === 'SUCCEEDED') record.result.delaySeconds = (Date.now() - record.finalAt) / 1000;
              return check;
            },
            (event) => byRecordId.get((event as { recordId: string }).recordId),
          );
        }
        if (name === 'AwaitRecord') {
          return counted(
            (event) => awaitRecord(event, { TABLE_NAME: env.TABLE_NAME! }),
            (event) => byProduct.get((event as { provisionedProductId?: string }).provisionedProductId ?? ''),
          );
        }
        if (name === 'Notify')
          return counted(
            async () => ({ sent: true }),
            () => undefined,
          );
        return () => Promise.reject(new Error(`${name} is not part of the polling phase`));
      },
    });
    machine = new LocalStepFunctions(workflow, handlers, {});

    const waits = new RecordWaits(dynamo, env.TABLE_NAME!);
    const executions: { record: (typeof records)[number]; execution: Execution }[] = [];
    for (const record of records) {
      const name = `${record.recordId}-${Math.floor(rng() * 1e9)}`;
      const executionArn = `${machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      await waits.expect(record.provisionedProductId, executionArn); // what ExecutePlan does
      const input = {
        run: { executionArn },
        review: { planId: `plan-${record.recordId}`, acceptLanguage: 'en' },
        execution: { recordId: record.recordId, executedAt: new Date(start).toISOString() },
      };
      executions.push({ record, execution: machine.startExecution(input, name) });
      if (events && rng() >= events.lost) {
        const settledAt = record.finalAt - between(RECORD_LAG_SECONDS) * 1000;
        const deliveredAt = Math.max(start, settledAt) + between(events.latencySeconds) * 1000;
        setTimeout(() => {
          const stackEvent = {
            version: '0',
            source: 'aws.cloudformation',
            'detail-type': 'CloudFormation Stack Status Change',
            detail: {
              'stack-id': `arn:aws:cloudformation:us-east-1:000000000000:stack/SC-000000000000-${record.provisionedProductId}/1`,
              'status-details': { status: 'UPDATE_COMPLETE' },
            },
          };
          record.result.lambdaInvocations++;
          void tracked(awaitRecord(stackEvent, { TABLE_NAME: env.TABLE_NAME! }));
        }, deliveredAt - Date.now());
      }
    }

    let finished = 0;
    for (const { execution } of executions) void execution.finished.then(() => finished++);
    const quiet = async () => {
      for (let idle = 0, spins = 0; idle < 2; idle = inFlight === 0 ? idle + 1 : 0) {
        await new Promise((done) => setImmediate(done));
        if (++spins > 1_000_000) throw new Error(`${inFlight} handler(s) never finished: one waits on a timer the virtual clock holds`);
      }
    };
    while (true) {
      await quiet();
      if (finished === executions.length) break;
      if (Date.now() - start > SECONDS_PER_DAY * 1000) throw new Error('Runs still going after a simulated day');
      clock.next();
    }
    for (const { record, execution } of executions) {
      if (execution.status !== 'SUCCEEDED')
        throw new Error(`Run for ${record.recordId} ended ${execution.status}: ${execution.error} ${execution.cause}`);
      record.result.stateTransitions = execution.events.filter((e) => e.type === 'StateEntered' && LOOP_STATES.has(e.state!.name)).length;
    }
    return records.map((r) => r.result);
  } finally {
    serviceCatalog.restore();
    sfnClient.restore();
    clock.uninstall();
  }
}

const fixed = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (value: number, base: number) => (base === 0 ? '–' : `${(value / base).toFixed(2)}×`);

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
