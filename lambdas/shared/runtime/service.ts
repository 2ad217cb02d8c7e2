/** The service name in logs, traces and the metrics' `service` dimension: the stack's name, set by the construct. */
export const SERVICE_NAME = process.env.POWERTOOLS_SERVICE_NAME || 'plangate';
