/**
 * What a burst of runs does to a rate-limited Service Catalog: `npm run bench:load`.
 *
 * Starts local mode in this process (synthesized and bundled as `npm run local` does) with auto-approval up to LOW, a
 * time scale, and Service Catalog throttling each API above `--tps` requests a second (`--tps 0`: no limit, the
 * baseline). Rates are per second of AWS time, as the workflow's waits and retries are. The time scale is 1 by
 * default: the handlers' own time is real, so under a smaller scale their calls spread over more AWS seconds than in
 * AWS and throttle less. Registers `--runs` LOW-risk plans, starts a run for each at once, and waits for them all.
 * Reports Service Catalog calls per second, throttles (the SDK's retries and the state machine's), outcomes, and what
 * the function error alarms would count. Exits 1 if a run does not end SUCCEEDED, a plan is executed other than once,
 * a run reports its outcome other than once, or the runs have not all ended within `--limit` seconds.
 *
 *   npm run bench:load -- --runs 60 --tps 10
 *   npm run bench:load -- --runs 60 --tps 0                       the same runs unthrottled
 *   npm run bench:load -- --runs 60 --tps 10 --time-scale 0.1     ten times as fast (and throttling less)
 *   npm run bench:load -- --runs 200 --time-scale 0.01            a hundred times: task timeouts keep their floor
 */
import { parseArgs } from 'node:util';
import { DEMO_PLANS } from '../local/demo-plans';
import type { ApiCall } from '../local/emulators';
import { type LocalMode, startLocalMode } from '../local/server';
import type { Execution } from '../local/step-functions';
import { table } from './table';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '60' },
    tps: { type: 'string', default: '10' },
    'time-scale': { type: 'string', default: '1' },
    /** How long each record takes in AWS time (simulated seconds). */
    'record-seconds': { type: 'string', default: '30' },
    /** Real seconds to wait for every run to end. */
    limit: { type: 'string', default: '600' },
  },
});
const runs = Number(args.runs);
const tps = Number(args.tps);
const timeScale = Number(args['time-scale']);
const recordSeconds = Number(args['record-seconds']);
const limitSeconds = Number(args.limit);
if (!Number.isFinite(tps) || tps < 0) throw new Error('--tps must be 0 (no limit) or a number of requests per second');
for (const [name, value] of Object.entries({ runs, 'time-scale': timeScale, 'record-seconds': recordSeconds, limit: limitSeconds })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a number above 0`);
}

/** The demo's LOW-risk plan (a dashboard and an alarm added), once per run, each on a provisioned product of its own. */
const lowPlan = (i: number) => {
  const [, dashboard] = DEMO_PLANS;
  const planId = `plan-load${String(i).padStart(6, '0')}`;
  return {
    ...dashboard!,
    ProvisionedProductPlanDetails: { ...dashboard!.ProvisionedProductPlanDetails, PlanId: planId },
    simulation: { recordSeconds, finalStatus: 'SUCCEEDED' as const },
  };
};

/** Handler log lines (JSON, one per line) counted by level instead of printed; everything else passes. */
function countHandlerLogs(levels: Map<string, number>) {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      const level = /^\{"level":"(\w+)"/.exec(text)?.[1];
      if (!level) return write(chunk, ...(rest as []));
      levels.set(level, (levels.get(level) ?? 0) + 1);
      return true;
    }) as typeof stream.write;
  }
}

/** The most calls `calls` holds in any one second of AWS time (timeScale real seconds). */
const peakPerSecond = (calls: ApiCall[]) => {
  const perSecond = new Map<number, number>();
  for (const call of calls) {
    const second = Math.floor(Date.parse(call.at) / (1000 * timeScale));
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  return Math.max(0, ...perSecond.values());
};

async function main(): Promise<number> {
  const started = Date.now();
  const local: LocalMode = await startLocalMode({
    timeScale,
    serviceCatalogTps: tps || undefined,
    demoPlans: false,
    context: { 'plangate:autoApproveUpTo': 'LOW' },
  });
  console.log(`local mode ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${local.baseUrl}`);
  const logLevels = new Map<string, number>();
  countHandlerLogs(logLevels);
  try {
    const planIds: string[] = [];
    for (let i = 1; i <= runs; i++) {
      const answer = await fetch(`${local.baseUrl}/local/plans`, { method: 'POST', body: JSON.stringify(lowPlan(i)) });
      planIds.push(((await answer.json()) as { PlanId: string }).PlanId);
    }
    const firstRun = Date.now();
    const executions = planIds.map((planId) => local.stepFunctions.startExecution({ planId, requestedBy: 'load@example.com' }));
    const limit = new Promise<'limit'>((resolve) => setTimeout(() => resolve('limit'), limitSeconds * 1000).unref());
    const ended = await Promise.race([Promise.all(executions.map((e) => e.finished)), limit]);
    const wallSeconds = (Date.now() - firstRun) / 1000;
    return report(local, planIds, executions, ended === 'limit', wallSeconds, logLevels);
  } finally {
    await local.close();
  }
}

function report(
  local: LocalMode,
  planIds: string[],
  executions: Execution[],
  timedOut: boolean,
  wallSeconds: number,
  logLevels: Map<string, number>,
) {
  const calls = local.accounts.calls.servicecatalog;
  const throttled = calls.filter((c) => c.error === 'ThrottlingException');
  const otherErrors = calls.filter((c) => c.error && c.error !== 'ThrottlingException');
  const operations = [...new Set(calls.map((c) => c.operation))].sort();
  console.log(`\n${runs} runs, Service Catalog at ${tps} requests/s per API, time scale ${timeScale}, records of ${recordSeconds} s:\n`);
  table(
    ['Operation', 'Calls', 'Throttled', 'Answered', 'Peak calls/s', 'Peak answered/s'],
    operations.map((operation) => {
      const ofOperation = calls.filter((c) => c.operation === operation);
      const answered = ofOperation.filter((c) => !c.error);
      return [
        operation,
        ofOperation.length,
        ofOperation.length - answered.length,
        answered.length,
        peakPerSecond(ofOperation),
        peakPerSecond(answered),
      ].map(String);
    }),
  );

  // A plan executed once: one record, however many times the execution was asked for (a retry reuses its token).
  const recordsByPlan = new Map<string, Set<string>>(planIds.map((id) => [id, new Set()]));
  for (const call of calls) {
    if (call.operation === 'ExecuteProvisionedProductPlan' && !call.error && call.planId && call.recordId)
      recordsByPlan.get(call.planId)?.add(call.recordId);
  }
  const notOnce = [...recordsByPlan].filter(([, records]) => records.size !== 1);
  // Each run reports its outcome once: a second report (a task that timed out while its handler went on) may contradict it.
  const outcomeEmails = local.outbox.list().filter((e) => e.channel === 'email' && /^\[PlanGate\] [A-Z_]+:/.test(e.subject ?? ''));
  const notReportedOnce = planIds
    .map((planId) => [planId, outcomeEmails.filter((e) => e.body.includes(planId)).map((e) => e.subject)] as const)
    .filter(([, subjects]) => subjects.length !== 1);
  const outcomes = new Map<string, number>();
  for (const e of executions) {
    const key = `${e.status}${(e.output as { outcome?: string } | undefined)?.outcome ? ` / ${(e.output as { outcome: string }).outcome}` : ''}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const retriesByState = new Map<string, number>();
  for (const event of executions.flatMap((e) => e.events.filter((x) => x.type === 'StateRetried'))) {
    retriesByState.set(event.state?.name ?? '?', (retriesByState.get(event.state?.name ?? '?') ?? 0) + 1);
  }
  const durations = executions
    .filter((e) => e.stopDate)
    .map((e) => (e.stopDate!.getTime() - e.startDate.getTime()) / 1000)
    .sort((a, b) => a - b);
  const { dashboard } = local.metrics.summary();
  const unexpected = Object.entries(dashboard.unexpectedErrorsByFunction).filter(([, n]) => n > 0);
  const awsSeconds = wallSeconds / timeScale;

  console.log('');
  table(
    ['Figure', 'Value'],
    [
      ['First start to last end', `${awsSeconds.toFixed(0)} s of AWS time (${wallSeconds.toFixed(1)} s real)`],
      ['Service Catalog calls, all APIs', `${calls.length}: ${(calls.length / awsSeconds).toFixed(1)}/s on average, peak ${peakPerSecond(calls)}/s`],
      ['Throttled (ThrottlingException)', `${throttled.length} (${((100 * throttled.length) / Math.max(1, calls.length)).toFixed(0)}% of calls)`],
      ['Other Service Catalog errors', otherErrors.length ? otherErrors.map((c) => `${c.operation} ${c.error}`).join(', ') : '0'],
      ['State machine retries (TransientError, after the SDK’s own)', [...retriesByState].map(([state, n]) => `${n} ${state}`).join(', ') || '0'],
      ['Outcomes', [...outcomes].map(([key, n]) => `${n} ${key}`).join(', ')],
      [
        'Run duration p50 / max (AWS time)',
        durations.length
          ? `${(durations[Math.floor(durations.length / 2)]! / timeScale).toFixed(0)} s / ${(durations.at(-1)! / timeScale).toFixed(0)} s`
          : '-',
      ],
      ['Plans executed exactly once', `${runs - notOnce.length} of ${runs}`],
      ['Runs that reported their outcome exactly once', `${runs - notReportedOnce.length} of ${runs}`],
      ['Unexpected function errors (the functions’ error alarms)', unexpected.map(([fn, n]) => `${n} ${fn}`).join(', ') || '0'],
      ['Runs ended INTERNAL_ERROR (the InternalErrors alarm)', String(dashboard.runsByOutcome.INTERNAL_ERROR ?? 0)],
      ['Handler log lines by level', [...logLevels].map(([level, n]) => `${n} ${level}`).join(', ') || '0'],
    ],
  );

  const failures = [
    ...(timedOut ? [`runs still going after ${limitSeconds} s`] : []),
    ...executions
      .filter((e) => e.status !== 'RUNNING' && (e.output as { outcome?: string } | undefined)?.outcome !== 'SUCCEEDED')
      .map((e) => `${e.name}: ${e.status} ${e.error ?? JSON.stringify(e.output).slice(0, 300)}`),
    ...notOnce.map(([planId, records]) => `${planId} executed ${records.size} times`),
    ...notReportedOnce.map(([planId, subjects]) => `${planId} reported ${subjects.length} outcomes: ${subjects.join(', ') || '-'}`),
  ];
  if (!failures.length) return 0;
  console.error(`\nFAILED:\n  ${failures.slice(0, 20).join('\n  ')}${failures.length > 20 ? `\n  … and ${failures.length - 20} more` : ''}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`bench:load failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
