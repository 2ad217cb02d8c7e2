// Handlers log through Powertools; unit tests keep quiet (the end-to-end harness captures logs at DEBUG).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Lambdas run on Node.js 24; the SDK's warning about the Node.js 20 used here is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Metrics (EMF lines) are asserted where they matter, not printed everywhere.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
