import { DIMENSION, type DropReason, METRIC, METRICS_NAMESPACE, type MetricName } from '../contracts/metrics';
import { SERVICE_NAME } from './service';

/*
 * One metrics namespace for every function, in CloudWatch's embedded metric format (EMF): a JSON line on stdout that
 * CloudWatch Logs turns into metrics. The shared middleware (runtime/handler.ts) publishes what an invocation added
 * when it ends. Written here rather than with Powertools Metrics, which cost 13 KB of every bundle for the two things
 * PlanGate does with it: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

type Unit = 'Count' | 'Seconds';

/** EMF's limits: 100 metrics per document, 100 values per metric. */
const MAX_METRICS = 100;
const MAX_VALUES = 100;

/** Local mode turns metrics on; unit tests turn them off (test/setup/environment.ts). The name is Powertools'. */
const disabled = () => process.env.POWERTOOLS_METRICS_DISABLED === 'true';

function write(metrics: Map<string, { unit: Unit; values: number[] }>, dimensions: Record<string, string>) {
  if (!metrics.size || disabled()) return;
  const entries = [...metrics.entries()];
  const document = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: entries.map(([Name, { unit }]) => ({ Name, Unit: unit })) },
      ],
    },
    ...dimensions,
    ...Object.fromEntries(entries.map(([name, { values }]) => [name, values.length === 1 ? values[0] : values])),
  };
  process.stdout.write(`${JSON.stringify(document)}\n`);
}

const stored = new Map<string, { unit: Unit; values: number[] }>();

/** The invocation's metrics, kept until publishStoredMetrics (or published early once EMF's limits are reached). */
export const metrics = {
  addMetric(name: MetricName, unit: Unit, value: number): void {
    const full = stored.has(name) ? (stored.get(name)?.values.length ?? 0) >= MAX_VALUES : stored.size >= MAX_METRICS;
    if (full) metrics.publishStoredMetrics();
    const metric = stored.get(name) ?? { unit, values: [] };
    metric.values.push(value);
    stored.set(name, metric);
  },
  /** One metric with a dimension of its own, published at once (dimensions on the stored ones would apply to all). */
  singleMetric() {
    const dimensions: Record<string, string> = { service: SERVICE_NAME };
    return {
      addDimension: (name: string, value: string) => {
        dimensions[name] = value;
      },
      addMetric: (name: MetricName, unit: Unit, value: number) => write(new Map([[name, { unit, values: [value] }]]), dimensions),
    };
  },
  publishStoredMetrics() {
    write(stored, { service: SERVICE_NAME });
    stored.clear();
  },
};

export const count = (name: MetricName, value = 1) => metrics.addMetric(name, 'Count', value);

/** A duration in seconds, never negative (clocks differ a little between services). */
export const seconds = (name: MetricName, value: number) => metrics.addMetric(name, 'Seconds', Math.max(0, Math.round(value * 1000) / 1000));

function countBy(name: MetricName, dimension: keyof typeof DIMENSION, value: string) {
  const single = metrics.singleMetric();
  single.addDimension(DIMENSION[dimension], value);
  single.addMetric(name, 'Count', 1);
}

export const countRunEnded = (outcome: string) => countBy(METRIC.RunEnded, 'outcome', outcome);

export const countDroppedEvent = (reason: DropReason) => countBy(METRIC.DroppedEvents, 'reason', reason);

export const countExpectedError = (functionName: string) => countBy(METRIC.ExpectedErrors, 'function', functionName);
