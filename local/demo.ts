import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ApprovalStore } from '../lambdas/shared/adapters/approval-store';
import type { Approver } from '../lambdas/shared/contracts/approver';
import { assertPortFree, parseArgs, startError, usage } from './args';
import { auditRecordCommand } from './commands';
import type { LocalMode } from './server';

/**
 * `npm run demo`: starts local mode with auto-approval up to LOW (unless `--context` says otherwise), then starts
 * two runs with the real Step Functions client: the LOW-risk dashboard plan, which runs without waiting, and the
 * HIGH-risk orders plan, which waits for two approvers. Prints the approval links, each approval as it counts
 * (read from the approval record, as an auditor would) and each outcome with its own notification. Then it keeps
 * serving until Ctrl-C, so the outbox, the pages and the audit record can still be looked at (--exit-when-done
 * stops instead).
 */
interface Run {
  name: string;
  planId: string;
  executionArn: string;
  approvalsSeen: number;
  rejectionSeen: boolean;
  outcome?: string;
}

const who = (approver: Approver) => approver.name ?? approver.email;
const indent = (text: string) => text.replace(/^/gm, '    ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const args = parseArgs(process.argv.slice(2), 'demo');
  if (args.help) return console.log(usage('demo'));
  await assertPortFree(args.host, args.port);
  // Loaded only now, so --help and a busy port answer without waiting for the stack to synthesize.
  const { startLocalMode } = await import('./server');
  const context = { 'plangate:autoApproveUpTo': 'LOW', ...args.context };
  const local = await startLocalMode({ ...args, context, log: (line) => console.log(line) }).catch((error: unknown) => {
    throw new Error(startError(error, args));
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(local, 0, `${signal}: stopping`));
  console.log(`PlanGate local mode ready at ${local.baseUrl}`);

  // startLocalMode has set the region and (dummy) credentials in the environment; the clients read them there.
  const sfn = new SFNClient({ endpoint: local.baseUrl });
  const store = new ApprovalStore(DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: local.baseUrl })), local.approvalTable);
  const start = async (name: string, planId: string): Promise<Run> => {
    const input = JSON.stringify({ planId, requestedBy: 'demo@example.com' });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input }));
    return { name, planId, executionArn: executionArn!, approvalsSeen: 0, rejectionSeen: false };
  };
  const runs = [await start('LOW-risk dashboard plan', 'plan-demodashbrd001'), await start('HIGH-risk orders plan', 'plan-demoorders0001')];

  /** Prints each approval once it counts, and a rejection, from the approval record. */
  const reportDecisions = async (run: Run) => {
    const record = await store.get(run.planId);
    if (!record || record.decision?.channel === 'rule') return;
    const required = record.requiredApprovals ?? 1;
    for (const approval of (record.approvals ?? []).slice(run.approvalsSeen)) {
      const count = ++run.approvalsSeen;
      const next = count < required ? `Waiting for ${required - count} more.` : 'The plan runs now.';
      const comment = approval.comment ? `: "${approval.comment}"` : '';
      console.log(
        `\n${who(approval.approver)} approved the ${run.name}: ${count} of ${required} approvals (${approval.channel}${comment}). ${next}\n`,
      );
    }
    const decision = record.decision;
    if (decision?.decision === 'REJECTED' && !run.rejectionSeen) {
      run.rejectionSeen = true;
      console.log(
        `\n${who(decision.approver)} rejected the ${run.name} (${decision.channel}${decision.comment ? `: "${decision.comment}"` : ''}). The plan will not run.\n`,
      );
    }
  };

  /** Prints how a run ended, with the notification sent about this plan (not whichever came last). */
  const reportOutcome = async (run: Run) => {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
    if (described.status === 'RUNNING') return;
    const output = JSON.parse(described.output ?? '{}') as { outcome?: string; reason?: string; decision?: string; approver?: string };
    run.outcome = output.outcome ?? described.status;
    const by = output.decision === 'APPROVED' && output.approver ? ` (approved by ${output.approver})` : '';
    console.log(`\n${run.name}: run ${described.status}; outcome ${run.outcome}: ${output.reason ?? '-'}${by}`);
    const notification = local.outbox
      .list()
      .find((e) => e.channel === 'email' && e.subject?.startsWith(`[PlanGate] ${output.outcome}: `) && e.body.includes(run.planId));
    if (notification) console.log(`\nIts notification, to ${notification.recipient}: ${notification.subject}\n\n${indent(notification.body)}\n`);
  };

  let linksShown = false;
  while (runs.some((run) => !run.outcome)) {
    for (const run of runs.filter((r) => !r.outcome)) {
      await reportDecisions(run);
      await reportOutcome(run);
    }
    const link = (recipient: string) => local.outbox.list().find((e) => e.recipient === recipient && e.body.includes('plan-demoorders0001'))?.urls[0];
    if (!linksShown && link('alice@example.com') && link('bob@example.com')) {
      console.log('\nThe orders plan removes a topic and replaces a table: HIGH risk, so it needs two approvers.');
      console.log(
        `Open both links in a browser and approve (or reject with either):\n\n    Alice: ${link('alice@example.com')}\n    Bob:   ${link('bob@example.com')}\n`,
      );
      linksShown = true;
    }
    await sleep(500);
  }
  sfn.destroy();

  const expected = runs.every((run) => run.outcome === 'SUCCEEDED' || run.outcome === 'REJECTED');
  if (args.exitWhenDone) return stop(local, expected ? 0 : 1, 'Both runs have ended; stopping (--exit-when-done).');
  const endpoints = { baseUrl: local.baseUrl, approvalTable: local.approvalTable, stateMachineArn: local.stepFunctions.stateMachineArn };
  console.log(
    [
      '',
      'Both runs have ended. Local mode keeps serving until you press Ctrl-C, so you can look around:',
      `  Every email, event and Slack post (the outbox):  curl ${local.baseUrl}/local/outbox`,
      linksShown
        ? '  The approval pages: the links above still open, and show who decided and how the run ended.'
        : '  The approval pages: no approval links were printed, as no plan waited for an approver.',
      `  The orders plan's audit record:  ${auditRecordCommand(endpoints, 'plan-demoorders0001')}`,
      '',
    ].join('\n'),
  );
}

async function stop(local: LocalMode, code: number, message: string): Promise<never> {
  console.log(message);
  await local.close();
  process.exit(code);
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}`);
  process.exit(1);
});
