import type { metrics as Metrics } from '../../lambdas/shared/runtime/metrics';

/**
 * The single metrics a handler publishes, as `<name>:<dimension value>` (e.g. `DroppedEvents:StackArnMismatch`), in
 * order. Takes the metrics object the handler under test imported (a test that re-imports modules passes its own).
 */
export function spyOnSingleMetrics(metrics: typeof Metrics): string[] {
  const published: string[] = [];
  jest.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    let dimension = '';
    return {
      addDimension: (_: string, value: string) => {
        dimension = value;
      },
      addMetric: (name: string) => published.push(`${name}:${dimension}`),
    } as unknown as ReturnType<typeof metrics.singleMetric>;
  });
  return published;
}
