import { parseArgs } from './args';
import { startLocalMode } from './server';

/** `npm run local`: the whole workflow on one port, until SIGINT or SIGTERM. */
async function main() {
  const args = parseArgs(process.argv.slice(2));
  const local = await startLocalMode({ ...args, log: (line) => console.log(line) });
  console.log(`PlanGate local mode ready at ${local.baseUrl} (outbox: ${local.baseUrl}/local/outbox)`);
  console.log(`Read a run's audit record: aws dynamodb get-item --endpoint-url ${local.baseUrl} --table-name ${local.approvalTable} --key '{"pk":{"S":"PLAN#plan-demoorders0001"}}'`);
  console.log(`Start a run: aws stepfunctions start-execution --endpoint-url ${local.baseUrl} --state-machine-arn ${local.stepFunctions.stateMachineArn} --input '{"planId":"plan-demoorders0001"}'`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      console.log(`${signal}: stopping`);
      await local.close();
      process.exit(0);
    });
  }
}

main().catch((error: Error) => {
  console.error(`local mode could not start: ${error.message}`);
  process.exit(1);
});
