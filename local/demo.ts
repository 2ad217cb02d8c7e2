import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseArgs } from './args';
import { startLocalMode } from './server';

/**
 * `npm run demo`: starts local mode, starts a run for the demo orders plan with the real Step Functions
 * client, prints the approval link, waits for your decision in the browser, then prints the outcome.
 */
async function main() {
  const args = parseArgs(process.argv.slice(2));
  const local = await startLocalMode({ ...args, log: (line) => console.log(line) });
  console.log(`PlanGate local mode ready at ${local.baseUrl}`);
  const sfn = new SFNClient({ endpoint: local.baseUrl });
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: local.stepFunctions.stateMachineArn,
      input: JSON.stringify({ planId: 'plan-demoorders0001', requestedBy: 'demo@example.com' }),
    }),
  );
  let described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  let shown = false;
  while (described.status === 'RUNNING') {
    const link = (who: string) => local.outbox.list().find((e) => e.recipient === who)?.urls[0];
    if (link('alice@example.com') && link('bob@example.com') && !shown) {
      console.log('\nThis plan removes a topic and replaces a table: HIGH risk, so it needs two approvers.');
      console.log(`Open both links in a browser and approve (or reject with either):\n\n    Alice: ${link('alice@example.com')}\n    Bob:   ${link('bob@example.com')}\n`);
      shown = true;
    }
    await new Promise((r) => setTimeout(r, 500));
    described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  const output = JSON.parse(described.output ?? '{}');
  console.log(`\nRun ${described.status}; outcome ${output.outcome}: ${output.reason}`);
  const notification = local.outbox.list().filter((e) => e.channel === 'email' && e.subject?.startsWith('[PlanGate] ') && !e.subject.includes('Approval needed')).at(-1);
  if (notification) console.log(`\nNotification to ${notification.recipient}: ${notification.subject}\n\n${notification.body}\n`);
  sfn.destroy();
  await local.close();
  process.exit(output.outcome === 'SUCCEEDED' || output.outcome === 'REJECTED' ? 0 : 1);
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
