/**
 * How soon a run notices that its record has finished, and what noticing costs in AWS calls and dollars: `npm run bench`.
 *
 * A discrete-event simulation on a virtual clock (@sinonjs/fake-timers), driven by the real pieces: the synthesized
 * state machine, run by local mode's interpreter from the start of its polling loop on; the deployed CheckRecord and
 * AwaitRecord logic, with the poll settings the synthesized template gives them; RecordWaits on DynamoDB (dynalite).
 * Simulated: Service Catalog (a record that turns SUCCEEDED after its duration), the stack's events (delivered 1–3 s
 * after the stack settles, which is `lag` s before the record does), and the time Lambda and Step Functions take
 * (LATENCY). Every figure is per run, all runs of a case start together.
 *
 *   npm run bench                         all cases, deployed settings, then the bundles
 *   npm run bench -- --runs 100           fewer runs in each mix (default 100)
 *   npm run bench -- --initial 30 --max 600   other safety-net settings
 *   npm run bench -- --records            every case, no bundles
 *   npm run bench -- --mix-only           only the tail-heavy mix at a 0–4 s lag, no bundles (to compare settings)
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
import type { CheckRecordEnv } from '../lambdas/check-record/check-record';
import type { RecordCheck } from '../lambdas/shared/contracts/steps';
import type { FunctionName } from '../lib/functions';
import type { Execution, LambdaHandler } from '../local/step-functions';
import { synthesize } from '../local/synth';
import { createApprovalTable, LOCAL_ACCOUNT, LOCAL_REGION, type LocalWorkflow, loadWorkflow } from '../local/template';
import { bundleReport } from './bundles';
import { fixedLoop, LOOP_STATES, pollingPhase, pollOnly } from './polling-variants';
import { table } from './table';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    initial: { type: 'string' },
    max: { type: 'string' },
    seed: { type: 'string', default: '7' },
    'mix-only': { type: 'boolean', default: false },
    records: { type: 'boolean', default: false },
  },
});

/** What reaches the run about its stack: nothing, or each settled status after a delivery latency, some lost. */
type Events = { latencySeconds: [number, number]; lost: number } | undefined;

/**
 * Time the simulation gives the services (no figure is published for either; these are typical of what is measured
 * for a 512 MB arm64 Node.js function in the same Region, and they are small beside the waits):
 * - a Lambda task: 100 ms between Step Functions scheduling it and the handler running (transition, invoke), plus
 *   150 ms of handler (one DescribeRecord or one or two DynamoDB updates); billed as 150 ms;
 * - a cold start: 600 ms of init, when no environment of that function has run in the last
 *   10 minutes (Lambda keeps idle environments for minutes, not a documented time) or all are busy.
 */
const LATENCY = { taskMs: 100, handlerMs: 150, coldStartMs: 600, keepWarmMs: 10 * 60_000 };

/** List prices, us-east-1, November 2025, US$ (free tiers left out). */
const PRICE = {
  /** Service Catalog bills every API call (after 1,000 a month free), DescribeRecord included. */
  serviceCatalogCall: 0.0007,
  /** Step Functions Standard: $0.025 per 1,000 state transitions. SendTaskSuccess itself is not billed. */
  stateTransition: 0.000025,
  /** Lambda: $0.20 per million requests, $0.0000133334 per GB-second on arm64; the functions have 512 MB. */
  lambdaRequest: 0.0000002,
  lambdaGbSecond: 0.0000133334,
  lambdaGb: 0.5,
  /** DynamoDB on demand: $0.625 per million write request units; RecordWaits only writes (conditional updates). */
  dynamoWrite: 0.000000625,
};

interface RunResult {
  describeRecordCalls: number;
  lambdaInvocations: number;
  coldStarts: number;
  stateTransitions: number;
  /** Seconds from the record turning final to the check that saw it. */
  delaySeconds: number;
}

/** One way of noticing a record's end: a state machine, the events it gets, and how its CheckRecord is set. */
interface Design {
  label: string;
  workflow: LocalWorkflow;
  events: Events;
  /** Whether ExecutePlan notes the product in RecordWaits (only designs that await events). */
  expects: boolean;
  pollSettings?: Partial<CheckRecordEnv>;
  /** Quick re-checks after an event, when not today's (QUICK_RECHECK_SECONDS). */
  quickRecheckSeconds?: readonly number[];
}

const SECONDS_PER_DAY = 86_400;
const WITH_EVENTS: Events = { latencySeconds: [1, 3], lost: 0 };
const LOSSY_EVENTS: Events = { latencySeconds: [1, 3], lost: 0.05 };
const LAGS: { label: string; seconds: [number, number] }[] = [
  { label: '0–4 s', seconds: [0, 4] },
  { label: '10–30 s', seconds: [10, 30] },
  { label: '60 s', seconds: [60, 60] },
];

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
  // Tail-heavy: log-uniform from 20 s to 2 h (a sixth of the records take over 45 minutes).
  const tailHeavy = Array.from({ length: runs }, () => Math.exp(Math.log(20) + (Math.log(7_200) - Math.log(20)) * rng()));
  // Typical: most plans change a few resources; log-normal around 3 minutes (half within 1.5–6 min), 20 s to 1 h.
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const typical = Array.from({ length: runs }, () => Math.min(3_600, Math.max(20, 180 * Math.exp(normal()))));
  const mixes = [
    { name: `typical mix (${runs} runs, log-normal around 3 min, 20 s–1 h)`, durations: typical },
    { name: `tail-heavy mix (${runs} runs, log-uniform 20 s–2 h)`, durations: tailHeavy },
  ].slice(args['mix-only'] ? 1 : 0);

  const context: Record<string, unknown> = {};
  if (args.initial) context['plangate:pollInitialIntervalSeconds'] = Number(args.initial);
  if (args.max) context['plangate:pollMaxIntervalSeconds'] = Number(args.max);
  const workflow = loadWorkflow(synthesize(context).json);
  const env = workflow.environment;

  const db = dynalite({ createTableMs: 0 });
  await new Promise<void>((done) => db.listen(0, '127.0.0.1', done));
  try {
    Object.assign(process.env, env, {
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(db.address() as AddressInfo).port}`,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    await createApprovalTable(new DynamoDBClient({}), workflow);

    const net = `safety net ${env.POLL_INITIAL_INTERVAL_SECONDS} s doubling to ${env.POLL_MAX_INTERVAL_SECONDS} s`;
    const plangate = pollingPhase(workflow);
    const polling: Design[] = [
      { label: 'fixed 30 s loop', workflow: fixedLoop(workflow), events: undefined, expects: false },
      {
        label: 'replaced design: poll 15 s doubling to 120 s',
        workflow: pollOnly(workflow),
        events: undefined,
        expects: false,
        pollSettings: { POLL_INITIAL_INTERVAL_SECONDS: 15, POLL_MAX_INTERVAL_SECONDS: 120 },
      },
      { label: 'PlanGate, no events: safety net only', workflow: plangate, events: undefined, expects: true },
    ];
    const withEvents: Design[] = [
      { label: 'before: events, re-checks 2, 4, 8 s', workflow: plangate, events: WITH_EVENTS, expects: true, quickRecheckSeconds: [2, 4, 8] },
      { label: 'PlanGate: events, re-checks for 3 min', workflow: plangate, events: WITH_EVENTS, expects: true },
    ];
    // Losing events is about the safety net, not the lag: one row, at the shortest lag.
    const lossy: Design = { label: 'PlanGate, 5% of events lost', workflow: plangate, events: LOSSY_EVENTS, expects: true };

    console.log(`Record completion: PlanGate's ${net}; events 1–3 s after the stack settles; seed ${args.seed}`);
    console.log(
      `Modelled: Lambda task ${LATENCY.taskMs} ms + handler ${LATENCY.handlerMs} ms, cold start ${LATENCY.coldStartMs} ms after ` +
        `${LATENCY.keepWarmMs / 60_000} min idle. Cost per 1,000 runs at us-east-1 list prices: DescribeRecord $0.0007 a call, ` +
        'a state transition $0.025 per 1,000, Lambda $0.20 per million requests + $0.0000133334 a GB-second (512 MB, arm64), ' +
        'DynamoDB $0.625 per million writes.\n',
    );
    const header = ['', 'DescribeRecord', 'DynamoDB writes', 'SendTaskSuccess', 'Lambda (cold)', 'transitions', 'all calls', '$ / 1,000 runs'];
    for (const mix of mixes) {
      const lags = args['mix-only'] ? LAGS.slice(0, 1) : LAGS;
      // Without events the record's lag behind its stack changes nothing: those designs run once per mix.
      const unlagged: [Design, Summary][] = [];
      for (const design of polling)
        unlagged.push([design, summarize(await simulate(design, { durations: mix.durations, lag: [0, 4], between, rng }))]);
      for (const lag of lags) {
        const rows: [Design, Summary][] = [...unlagged];
        for (const design of lag === LAGS[0] ? [...withEvents, lossy] : withEvents) {
          rows.push([design, summarize(await simulate(design, { durations: mix.durations, lag: lag.seconds, between, rng }))]);
        }
        const before = rows.find(([d]) => d.quickRecheckSeconds)![1];
        console.log(`${mix.name}, record ${lag.label} behind its stack; (×) against "before"`);
        table(
          [...header, 'mean delay', 'p95 delay', 'max delay'],
          rows.map(([design, s]) => [
            design.label,
            fixed(s.describeRecord),
            fixed(s.dynamoWrites),
            fixed(s.sendTaskSuccess),
            `${fixed(s.invocations)} (${fixed(s.coldStarts)})`,
            fixed(s.transitions),
            `${fixed(s.allCalls)} (${ratio(s.allCalls, before.allCalls)})`,
            `${s.costPer1000.toFixed(2)} (${ratio(s.costPer1000, before.costPer1000)})`,
            `${fixed(s.meanDelay)} s`,
            `${fixed(s.p95Delay)} s`,
            `${fixed(s.maxDelay)} s`,
          ]),
        );
        console.log();
      }
    }
  } finally {
    await new Promise((done) => db.close(done));
  }
  if (!args['mix-only'] && !args.records) await bundleReport();
}

interface Summary {
  describeRecord: number;
  dynamoWrites: number;
  sendTaskSuccess: number;
  invocations: number;
  coldStarts: number;
  transitions: number;
  /** Every request to an AWS API: DescribeRecord, DynamoDB, SendTaskSuccess and Lambda's Invoke. */
  allCalls: number;
  costPer1000: number;
  meanDelay: number;
  p95Delay: number;
  maxDelay: number;
}

interface Simulated {
  runs: RunResult[];
  dynamoWrites: number;
  sendTaskSuccess: number;
}

function summarize({ runs, dynamoWrites, sendTaskSuccess }: Simulated): Summary {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const delays = runs.map((r) => r.delaySeconds).sort((a, b) => a - b);
  const describeRecord = mean(runs.map((r) => r.describeRecordCalls));
  const invocations = mean(runs.map((r) => r.lambdaInvocations));
  const coldStarts = mean(runs.map((r) => r.coldStarts));
  const transitions = mean(runs.map((r) => r.stateTransitions));
  const perRun = { dynamoWrites: dynamoWrites / runs.length, sendTaskSuccess: sendTaskSuccess / runs.length };
  const lambdaSeconds = (invocations * LATENCY.handlerMs + coldStarts * LATENCY.coldStartMs) / 1000;
  const cost =
    describeRecord * PRICE.serviceCatalogCall +
    transitions * PRICE.stateTransition +
    invocations * PRICE.lambdaRequest +
    lambdaSeconds * PRICE.lambdaGb * PRICE.lambdaGbSecond +
    perRun.dynamoWrites * PRICE.dynamoWrite;
  return {
    describeRecord,
    ...perRun,
    invocations,
    coldStarts,
    transitions,
    allCalls: describeRecord + perRun.dynamoWrites + perRun.sendTaskSuccess + invocations,
    costPer1000: cost * 1000,
    meanDelay: mean(delays),
    p95Delay: delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.95) - 1)]!,
    maxDelay: delays.at(-1)!,
  };
}

/**
 * Runs one run per duration, all started together on one virtual clock. Time moves only when nothing is in
 * flight (no handler running, no DynamoDB request): then the clock jumps to the next timer.
 */
async function simulate(
  design: Design,
  { durations, lag, between, rng }: { durations: number[]; lag: [number, number]; between: (range: [number, number]) => number; rng: () => number },
): Promise<Simulated> {
  const { workflow, events } = design;
  const clock = FakeTimers.install({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    shouldClearNativeTimers: true,
    now: Date.parse('2026-01-05T09:00:00Z'),
  });
  const serviceCatalog = mockClient(ServiceCatalogClient);
  const sfnClient = mockClient(SFNClient);
  try {
    const { LocalStepFunctions } = await import('../local/step-functions');
    const { checkRecord, nextStep, FINAL_RECORD_STATUSES } = await import('../lambdas/check-record/check-record');
    const { awaitRecord } = await import('../lambdas/await-record/await-record');
    const { RecordWaits } = await import('../lambdas/shared/adapters/record-waits');
    const { dynamo } = await import('../lambdas/shared/adapters/clients/dynamodb');
    const env = workflow.environment;
    const checkEnv: CheckRecordEnv = {
      POLL_INITIAL_INTERVAL_SECONDS: Number(env.POLL_INITIAL_INTERVAL_SECONDS),
      POLL_MAX_INTERVAL_SECONDS: Number(env.POLL_MAX_INTERVAL_SECONDS),
      POLL_TIMEOUT_SECONDS: Number(env.POLL_TIMEOUT_SECONDS),
      ...design.pollSettings,
    };
    const awaitEnv = { TABLE_NAME: env.TABLE_NAME!, SPOKES: undefined, AWS_REGION: LOCAL_REGION };
    let dynamoWrites = 0;
    const countWrites = 'bench-count-writes';
    dynamo.middlewareStack.remove(countWrites);
    dynamo.middlewareStack.add(
      (next) => (request) => {
        dynamoWrites++;
        return next(request);
      },
      { step: 'initialize', name: countWrites },
    );
    const start = Date.now();
    const records = durations.map((seconds, i) => ({
      recordId: `rec-${i}`,
      provisionedProductId: `pp-${i}-${Math.floor(rng() * 1e9)}`,
      finalAt: start + seconds * 1000,
      result: { describeRecordCalls: 0, lambdaInvocations: 0, coldStarts: 0, stateTransitions: 0, delaySeconds: Number.NaN } as RunResult,
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
    let sendTaskSuccess = 0;
    let machine: InstanceType<typeof LocalStepFunctions>;
    sfnClient.on(SendTaskSuccessCommand).callsFake(({ taskToken, output }: { taskToken: string; output: string }) => {
      sendTaskSuccess++;
      machine.sendTaskSuccess(taskToken, output);
      return {};
    });
    // Each function's environments: when each is free again, and when it last ran (LATENCY's cold start model).
    const environments = new Map<string, { busyUntil: number; lastUsed: number }[]>();
    /** Waits (on the virtual clock, not in flight) as long as Lambda takes to start the handler; counts cold starts. */
    const invoke = async (name: string, record: (typeof records)[number] | undefined, taskMs: number) => {
      const now = Date.now();
      const pool = environments.get(name) ?? environments.set(name, []).get(name)!;
      const warm = pool.find((e) => e.busyUntil <= now && now - e.lastUsed < LATENCY.keepWarmMs);
      const startMs = taskMs + (warm ? 0 : LATENCY.coldStartMs);
      const environment = warm ?? pool[pool.push({ busyUntil: 0, lastUsed: 0 }) - 1]!;
      environment.busyUntil = now + startMs + LATENCY.handlerMs;
      environment.lastUsed = environment.busyUntil;
      if (record) {
        record.result.lambdaInvocations++;
        if (!warm) record.result.coldStarts++;
      }
      await new Promise((done) => setTimeout(done, startMs + LATENCY.handlerMs));
    };
    const counted =
      (name: string, fn: (event: unknown) => Promise<unknown>, recordOf: (event: unknown) => (typeof records)[number] | undefined): LambdaHandler =>
      async (event) => {
        await invoke(name, recordOf(event), LATENCY.taskMs);
        return tracked(fn(event));
      };
    const checkAsDesigned = async (event: unknown) => {
      const check = await checkRecord(event, checkEnv);
      if (!design.quickRecheckSeconds || FINAL_RECORD_STATUSES.has(check.status)) return check;
      const progress = event as Pick<RecordCheck, 'safetyNetWaits' | 'quickChecks' | 'seenEventAt' | 'wake'>;
      const settings = {
        initialIntervalSeconds: checkEnv.POLL_INITIAL_INTERVAL_SECONDS,
        maxIntervalSeconds: checkEnv.POLL_MAX_INTERVAL_SECONDS,
        timeoutSeconds: checkEnv.POLL_TIMEOUT_SECONDS,
      };
      return { ...check, ...nextStep({ ...progress, canAwait: Boolean(check.provisionedProductId) }, settings, design.quickRecheckSeconds) };
    };
    const handlers = new Proxy({} as Record<FunctionName, LambdaHandler>, {
      get: (_, name: FunctionName) => {
        if (name === 'CheckRecord') {
          return counted(
            name,
            async (event) => {
              const check = await checkAsDesigned(event);
              const record = byRecordId.get(check.recordId)!;
              if (check.status === 'SUCCEEDED') record.result.delaySeconds = (Date.now() - record.finalAt) / 1000;
              return check;
            },
            (event) => byRecordId.get((event as { recordId: string }).recordId),
          );
        }
        if (name === 'AwaitRecord') {
          return counted(
            name,
            (event) => awaitRecord(event, awaitEnv),
            (event) => byProduct.get((event as { provisionedProductId?: string }).provisionedProductId ?? ''),
          );
        }
        if (name === 'Notify')
          return counted(
            name,
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
      if (design.expects) await waits.expect(record.provisionedProductId, executionArn); // what ExecutePlan does
      const input = {
        run: { executionArn },
        review: { planId: `plan-${record.recordId}`, acceptLanguage: 'en', accountId: LOCAL_ACCOUNT, region: LOCAL_REGION },
        execution: { recordId: record.recordId, executedAt: new Date(start).toISOString() },
      };
      executions.push({ record, execution: machine.startExecution(input, name) });
      if (events && rng() >= events.lost) {
        const settledAt = record.finalAt - between(lag) * 1000;
        const deliveredAt = Math.max(start, settledAt) + between(events.latencySeconds) * 1000;
        setTimeout(async () => {
          const stackEvent = {
            version: '0',
            source: 'aws.cloudformation',
            account: LOCAL_ACCOUNT,
            region: LOCAL_REGION,
            'detail-type': 'CloudFormation Stack Status Change',
            detail: {
              'stack-id': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/SC-${LOCAL_ACCOUNT}-${record.provisionedProductId}/1`,
              'status-details': { status: 'UPDATE_COMPLETE' },
            },
          };
          await invoke('AwaitRecord', record, 0); // EventBridge's latency is in deliveredAt
          void tracked(awaitRecord(stackEvent, awaitEnv));
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
        throw new Error(`${design.label}: the run for ${record.recordId} ended ${execution.status}: ${execution.error} ${execution.cause}`);
      if (Number.isNaN(record.result.delaySeconds))
        throw new Error(`${design.label}: the run for ${record.recordId} ended without finding its record final`);
      record.result.stateTransitions = execution.events.filter((e) => e.type === 'StateEntered' && LOOP_STATES.has(e.state!.name)).length;
    }
    return { runs: records.map((r) => r.result), dynamoWrites, sendTaskSuccess };
  } finally {
    serviceCatalog.restore();
    sfnClient.restore();
    clock.uninstall();
  }
}

const fixed = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const ratio = (value: number, base: number) => (base === 0 ? '–' : `${(value / base).toFixed(2)}×`);

// Exits either way: a failed run must fail the command, and nothing left open (a server, a timer) may keep it alive.
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
