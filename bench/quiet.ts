/**
 * Imported first: the benchmark calls the functions' logic directly, many times, without the middleware that
 * publishes metrics once per invocation, so Powertools would flush them to stdout in batches. It reads this when the
 * logic's modules load.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
