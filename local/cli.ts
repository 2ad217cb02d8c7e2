import { assertPortFree, parseArgs, startError, usage } from './args';
import { auditRecordCommand, plangateCommand, startRunCommand } from './commands';
import { BOB, OPERATOR } from './identities';

/** `npm run local`: the whole workflow on one port, until SIGINT or SIGTERM. */
async function main() {
  const args = parseArgs(process.argv.slice(2), 'local');
  if (args.help) return console.log(usage('local'));
  await assertPortFree(args.host, args.port);
  // Loaded only now, so --help and a busy port answer without waiting for the stack to synthesize.
  const { startLocalMode } = await import('./server');
  const local = await startLocalMode({ ...args, log: (line) => console.log(line) }).catch((error: unknown) => {
    throw new Error(startError(error, args));
  });
  const endpoints = { baseUrl: local.baseUrl, approvalTable: local.approvalTable, stateMachineArn: local.stepFunctions.stateMachineArn };
  console.log(`PlanGate local mode ready at ${local.baseUrl} (outbox: ${local.baseUrl}/local/outbox)`);
  if (args.serviceCatalogTps) {
    console.log(
      `Service Catalog throttles each API above ${args.serviceCatalogTps} requests/s; its calls: ${local.baseUrl}/local/calls?service=servicecatalog`,
    );
  }
  for (const group of local.identityCenter.listGroups()) {
    const change = `curl -X POST ${local.baseUrl}/local/identity-center/groups/${encodeURIComponent(group.displayName)}/members -d '{"remove": ["…"]}'`;
    console.log(`Identity Center group ${group.displayName}: ${group.members.join(', ') || 'no members'}; change it with ${change}`);
  }
  if (local.oidc) console.log(`Sign in at ${local.baseUrl}/ with a demo user's button (local identity provider: ${local.oidc.issuer})`);
  console.log(`Read a run's audit record: ${auditRecordCommand(endpoints, 'plan-demoorders0001')}`);
  console.log(`Start a run: ${startRunCommand(endpoints, 'plan-demoorders0001')}`);
  console.log(`Or with plangate, as the operator: ${plangateCommand(endpoints, OPERATOR, 'start plan-demoorders0001 --wait')}`);
  console.log(`Approve as Bob: ${plangateCommand(endpoints, BOB, 'approve plan-demoorders0001')}`);
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
