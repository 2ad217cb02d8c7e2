import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ApprovalRecord } from '../../lambdas/shared/contracts/approval-record';
import { LOCAL_SLACK_CONTEXT, type LocalMode, type LocalModeOptions, startLocalMode as startUnbuilt } from '../../local/server';
import { handlerBundles, synthesizedTemplates } from './prebuilt';

export type { LocalMode } from '../../local/server';

/**
 * A limit for a `beforeAll` that starts local mode from this run's build. The first start in a file loads the modules
 * and the bundles: 17 s on 2 cores with a load average of 17 (2 to 3 s for the next); the margin is for a busier one.
 */
export const LOCAL_MODE_START_MS = 60_000;

/** Local mode as `npm run local` starts it, from the template and bundles built once for the whole jest run. */
export async function startLocalMode(options: LocalModeOptions = {}) {
  const templates = await synthesizedTemplates({ ...LOCAL_SLACK_CONTEXT, ...options.context });
  return startUnbuilt({ ...options, prebuilt: { ...templates, handlers: handlerBundles() } });
}

/** Takes the handlers' JSON log lines off stdout and stderr into `logs` (tests assert on them); returns what undoes it. */
export function collectHandlerLogs(logs: string[]): () => void {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = chunk.toString();
      if (!text.startsWith('{"level"')) return write(chunk, ...(rest as []));
      logs.push(text);
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}

/** The SDK clients' settings for local mode: its endpoint, its region, dummy credentials, and no SDK retries. */
export const clientConfig = (local: LocalMode) => ({
  endpoint: local.baseUrl,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
});

/** A plan's approval record as stored (`suffix` `#RUN#<executionArn>` for an earlier run's), read consistently. */
export async function approvalRecord(documents: DynamoDBDocumentClient, local: LocalMode, planId: string, suffix = '') {
  const { Item } = await documents.send(
    new GetCommand({ TableName: local.approvalTable, Key: { pk: `PLAN#${planId}${suffix}` }, ConsistentRead: true }),
  );
  return Item as ApprovalRecord | undefined;
}

/** What `probe` finds, polled every 25 ms; fails naming `what` when it never comes. */
export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const found = await probe();
    if (found) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never saw ${what}`);
}

/** The personal link of the approval request emailed to `recipient` about `planId` (a stage's or the first), once sent. */
export const approvalLinkFor = (local: LocalMode, recipient: string, planId: string) =>
  until(
    () => local.outbox.list().find((e) => e.recipient === recipient && e.subject?.includes('Approval needed') && e.body.includes(planId))?.urls[0],
    `an approval link for ${recipient} about ${planId}`,
  );

/** An approver's decision on their page, posted as its form posts it. */
export const decideOnPage = (link: string, decision: 'approve' | 'reject') =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` });

/**
 * Local mode with the SDK clients a test drives it with (Step Functions, the approval table), and one `close` that
 * stops them all: `beforeAll(async () => ({ local, client, documents, close } = await startWithClients(…)))`.
 */
export async function startWithClients(options: LocalModeOptions = {}) {
  const local = await startLocalMode(options);
  const config = clientConfig(local);
  const client = new SFNClient(config);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient(config));
  const close = async () => {
    client.destroy();
    documents.destroy();
    await local.close();
  };
  return { local, client, documents, close };
}

/** Starts a run with StartExecution, as a user or CI would; its ARN. */
export async function startRun(client: SFNClient, local: LocalMode, input: unknown): Promise<string> {
  const started = await client.send(
    new StartExecutionCommand({ stateMachineArn: local.stepFunctions.stateMachineArn, input: JSON.stringify(input) }),
  );
  return started.executionArn!;
}

/** The run once it has ended, as DescribeExecution answers. */
export const runEnded = (client: SFNClient, executionArn: string) =>
  until(async () => {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    return described.status !== 'RUNNING' && described;
  }, 'the run to end');

/** Registers a plan with local mode's Service Catalog, in an account and Region (default: the hub's). */
export async function registerPlan(local: LocalMode, plan: unknown, place?: { account: string; region: string }) {
  const query = place ? `?account=${place.account}&region=${place.region}` : '';
  const response = await fetch(`${local.baseUrl}/local/plans${query}`, { method: 'POST', body: JSON.stringify(plan) });
  if (response.status !== 200) throw new Error(`Registering the plan failed: ${response.status} ${await response.text()}`);
}
