import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { Aws } from './aws';
import { exitCodeOf } from './decide';
import { CliError, EXIT } from './exit-codes';
import { planKeyOf } from './runs';

/** How the command line prints (cli/main.ts): terminal-safe text on stdout, notes on stderr, JSON. */
export interface Output {
  say: (text: string) => void;
  tell: (text: string) => void;
  json: (value: unknown) => void;
}

interface Helpers extends Output {
  aws: () => Aws;
  planId: (value: string) => string;
  upToMaxText: (option: string, value: string | undefined) => string | undefined;
}

/** Asks on the terminal (or reads stdin) for the plan id, so a break-glass is never one keystroke away. */
async function confirmed(planId: string, tell: (text: string) => void): Promise<boolean> {
  tell(`Break-glass approves plan ${planId} outright, tells every approver, and opens a review. Type the plan id to confirm:`);
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line.trim() === planId;
    return false;
  } finally {
    lines.close();
  }
}

/** `plangate break-glass` and `plangate review` (plangate:breakGlass), signed with the caller's AWS credentials. */
export function addBreakGlassCommands(cli: Command, helpers: Helpers): void {
  const { aws, planId, upToMaxText, say, tell, json } = helpers;
  cli
    .command('break-glass')
    .description('approve a plan outright in an emergency: you must be a plangate:breakGlass requester; every approver is told')
    .argument('<planId>', 'the plan waiting for approval', planId)
    .requiredOption('--reason <text>', 'why (required, at most 1000 characters)')
    .option('--ticket <id>', 'the incident or change ticket')
    .option('--yes', 'skip the confirmation (for scripts)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { reason: string; ticket?: string; yes?: boolean; json?: boolean }) => {
      const reason = upToMaxText('--reason', options.reason);
      if (!reason?.trim()) throw new CliError('--reason must say why', EXIT.usage);
      if (!options.yes && !(await confirmed(id, tell))) throw new CliError('Not confirmed: nothing was approved', EXIT.usage);
      const connection = aws();
      const answer = await connection.signedPost(`cli/plans/${encodeURIComponent(await planKeyOf(connection, id))}/break-glass`, {
        reason,
        ...(options.ticket ? { ticket: options.ticket } : {}),
      });
      process.exitCode = exitCodeOf(answer);
      if (options.json) return json(answer.body);
      const decision = answer.body.decision as { by: string } | undefined;
      const review = answer.body.review as { dueAt: string; closeWith: string } | undefined;
      say(`${answer.body.message}`);
      if (decision) say(`Approved: ${decision.by}`);
      if (review) say(`Every approver was told. A review is open until ${review.dueAt}: another approver closes it with ${review.closeWith}`);
    });

  cli
    .command('review')
    .description("close a plan's break-glass review: you must be an approver other than the one who broke glass")
    .argument('<planId>', 'the plan approved by break-glass', planId)
    .option('--comment <text>', 'recorded with the review (at most 1000 characters)')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { comment?: string; json?: boolean }) => {
      const comment = upToMaxText('--comment', options.comment);
      const connection = aws();
      const answer = await connection.signedPost(
        `cli/plans/${encodeURIComponent(await planKeyOf(connection, id))}/review`,
        comment ? { comment } : {},
      );
      process.exitCode = exitCodeOf(answer);
      if (options.json) return json(answer.body);
      const review = answer.body.review as { closedBy?: { email: string }; closedAt?: string } | undefined;
      say(`${answer.body.message}${review?.closedBy ? ` Reviewed by ${review.closedBy.email} at ${review.closedAt}.` : ''}`);
    });
}
