import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DIMENSION, type DropReason, METRIC, METRICS_NAMESPACE, type MetricName } from '../contracts/metrics';
import { logger } from './logger';
import { SERVICE_NAME } from './service';

/**
 * One metrics namespace for every function (CloudWatch embedded metric format, written to the log). The shared
 * middleware (runtime/handler.ts) publishes what an invocation added when it ends. Powertools' own warnings go to
 * the logger, except the one for an invocation that added no metric, which is most of them.
 */
export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: SERVICE_NAME,
  logger: {
    debug: (message: unknown) => logger.debug(String(message)),
    info: (message: unknown) => logger.info(String(message)),
    warn: (message: unknown) => (String(message).startsWith('No application metrics to publish') ? undefined : logger.warn(String(message))),
    error: (message: unknown) => logger.error(String(message)),
  },
});

export const count = (name: MetricName, value = 1) => metrics.addMetric(name, MetricUnit.Count, value);

/** A duration in seconds, never negative (clocks differ a little between services). */
export const seconds = (name: MetricName, value: number) => metrics.addMetric(name, MetricUnit.Seconds, Math.max(0, Math.round(value * 1000) / 1000));

/**
 * A metric with a dimension of its own, published at once: dimensions added to the shared instance would apply to
 * every other metric of the invocation.
 */
function countBy(name: MetricName, dimension: keyof typeof DIMENSION, value: string) {
  const single = metrics.singleMetric();
  single.addDimension(DIMENSION[dimension], value);
  single.addMetric(name, MetricUnit.Count, 1);
}

export const countRunEnded = (outcome: string) => countBy(METRIC.RunEnded, 'outcome', outcome);

export const countDroppedEvent = (reason: DropReason) => countBy(METRIC.DroppedEvents, 'reason', reason);

export const countExpectedError = (functionName: string) => countBy(METRIC.ExpectedErrors, 'function', functionName);
