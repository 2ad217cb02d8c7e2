// Handlers log through Powertools; unit tests keep quiet (test/e2e/workflow.test.ts collects them at DEBUG).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metrics (EMF lines) are asserted where they matter, not printed everywhere.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
