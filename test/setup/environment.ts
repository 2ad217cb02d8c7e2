// Handlers log through Powertools; unit tests keep quiet (the end-to-end harness captures logs at DEBUG).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metrics (EMF lines) are asserted where they matter, not printed everywhere.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
