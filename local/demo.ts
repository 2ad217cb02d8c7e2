import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { parseArgs } from './args';
import { startLocalMode } from './server';

/**
 * `npm run demo`: starts local mode with auto-approval up to LOW (unless `--context` says otherwise), then starts
 * two runs with the real Step Functions client: the LOW-risk dashboard plan, which runs without waiting, and the
 * HIGH-risk orders plan, which waits for two approvers. Prints the approval links, waits for your decisions in
 * the browser, then prints each outcome.
 */
async function main() {
  const args = parseArgs(process.argv.slice(2));
  const context = { 'plangate:autoApproveUpTo': 'LOW', ...args.context };
  const local = await startLocalMode({ ...args, context, log: (line) => console.log(line) });
  console.log(`PlanGate local mode ready at ${local.baseUrl}`);
  const sfn = new SFNClient({ endpoint: local.baseUrl });
  const start = async (planId: string) =>
    (
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: local.stepFunctions.stateMachineArn,
          input: JSON.stringify({ planId, requestedBy: 'demo@example.com' }),
        }),
      )
    ).executionArn!;
  const low = await start('plan-demodashbrd001');
  const high = await start('plan-demoorders0001');

  const outcomes = new Map<string, string>();
  let shown = false;
  while (outcomes.size < 2) {
    for (const [name, executionArn] of [['LOW-risk dashboard plan', low], ['HIGH-risk orders plan', high]] as const) {
      if (outcomes.has(name)) continue;
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (described.status === 'RUNNING') continue;
      const output = JSON.parse(described.output ?? '{}');
      outcomes.set(name, output.outcome);
      console.log(`\n${name}: run ${described.status}; outcome ${output.outcome}: ${output.reason}${output.approver ? ` (approved by ${output.approver})` : ''}\n`);
    }
    const link = (who: string) => local.outbox.list().find((e) => e.recipient === who && e.body.includes('plan-demoorders0001'))?.urls[0];
    if (link('alice@example.com') && link('bob@example.com') && !shown) {
      console.log('\nThe orders plan removes a topic and replaces a table: HIGH risk, so it needs two approvers.');
      console.log(`Open both links in a browser and approve (or reject with either):\n\n    Alice: ${link('alice@example.com')}\n    Bob:   ${link('bob@example.com')}\n`);
      shown = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const notification = local.outbox.list().filter((e) => e.channel === 'email' && e.subject?.startsWith('[PlanGate] ') && !e.subject.includes('needed')).at(-1);
  if (notification) console.log(`\nLast notification, to ${notification.recipient}: ${notification.subject}\n\n${notification.body}\n`);
  sfn.destroy();
  await local.close();
  process.exit([...outcomes.values()].every((o) => o === 'SUCCEEDED' || o === 'REJECTED') ? 0 : 1);
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
