import { LocalMetrics } from '../../local/metrics';

/** Local mode's CloudWatch: EMF lines are taken off stdout and summed; everything else still reaches the terminal. */

const emf = (name: string, value: number, dimensions: Record<string, string> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: 'PlanGate', Dimensions: [['service', ...Object.keys(dimensions)]], Metrics: [{ Name: name, Unit: 'Count' }] }],
    },
    service: 'PlanGate',
    ...dimensions,
    [name]: value,
  });

test('takes EMF lines off stdout wherever they are in a chunk, passes every other line through, and gives stdout back', async () => {
  const written: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    written.push(chunk);
    return true;
  }) as typeof process.stdout.write;
  const replaced = process.stdout.write;
  try {
    const metrics = new LocalMetrics(['ReviewPlan']);
    const log = '{"level":"INFO","message":"Runs counted"}\n';
    process.stdout.write(`${log}${emf('RunsStarted', 1)}\n`);
    process.stdout.write(`${emf('RunEnded', 1, { outcome: 'SUCCEEDED' })}\n${emf('RunEnded', 1, { outcome: 'REJECTED' })}\n`);
    process.stdout.write('{"_aws": not json\n'); // looks like one, is not: printed
    await new Promise<void>((resolve) => process.stdout.write(`${emf('RunsStarted', 1)}\n`, () => resolve()));

    expect(written).toEqual([log, '{"_aws": not json\n']);
    const { dashboard } = metrics.summary();
    expect(dashboard).toMatchObject({ runsStarted: 2, runsByOutcome: { SUCCEEDED: 1, REJECTED: 1 } });

    metrics.close();
    expect(process.stdout.write).toBe(replaced);
    process.stdout.write(`${emf('RunsStarted', 1)}\n`);
    expect(written).toHaveLength(3); // no longer taken off
  } finally {
    process.stdout.write = original;
  }
});
