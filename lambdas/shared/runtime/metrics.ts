import { Metrics } from '@aws-lambda-powertools/metrics';

/** One metrics namespace for every function (CloudWatch embedded metric format, written to the log). */
export const metrics = new Metrics({ namespace: 'PlanGate', serviceName: 'plangate' });
