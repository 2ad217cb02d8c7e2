import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import * as sc from '@aws-sdk/client-service-catalog';
import { SendTaskSuccessCommand, SFNClient, SFNServiceException } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import dynalite from 'dynalite';
import { FUNCTIONS, type FunctionName } from '../../lib/functions';
import { STATES } from '../../lib/workflow-definition';
import { ApprovalStore } from '../../lambdas/shared/adapters/approval-store';
import { toApiGatewayEvent } from '../../local/api-gateway';
import { awsEvent } from '../../local/event-bridge';
import { matchesPattern } from '../../local/event-patterns';
import { type AwsApiError, ServiceCatalogEmulator } from '../../local/service-catalog';
import { type LambdaHandler, LocalStepFunctions } from '../../local/step-functions';
import { type CfnTemplate, createApprovalTable, LOCAL_REGION, loadWorkflow, withApprovalTimeout } from '../../local/template';

/**
 * Runs the synthesized state machine end to end in one process: every task bound to its real handler,
 * DynamoDB served by dynalite (a real implementation of its API), and Service Catalog, Step Functions'
 * task callbacks, SNS and EventBridge faked at the SDK level (Service Catalog by the emulator).
 */

export interface SentEmail {
  topicArn: string;
  subject?: string;
  body: string;
  approver?: string;
}

const SERVICE_CATALOG_COMMANDS = {
  DescribeProvisionedProductPlan: sc.DescribeProvisionedProductPlanCommand,
  ExecuteProvisionedProductPlan: sc.ExecuteProvisionedProductPlanCommand,
  DescribeRecord: sc.DescribeRecordCommand,
  ListProvisionedProductPlans: sc.ListProvisionedProductPlansCommand,
  DeleteProvisionedProductPlan: sc.DeleteProvisionedProductPlanCommand,
};

/** The error the real SDK would throw for an emulator error (modeled class where there is one). */
function toServiceCatalogError(error: AwsApiError) {
  const opts = { message: error.message, $metadata: { httpStatusCode: error.statusCode } };
  switch (error.type) {
    case 'InvalidParametersException':
      return new sc.InvalidParametersException(opts);
    case 'ResourceNotFoundException':
      return new sc.ResourceNotFoundException(opts);
    case 'InvalidStateException':
      return new sc.InvalidStateException(opts);
    default:
      return new sc.ServiceCatalogServiceException({ ...opts, name: error.type, $fault: error.statusCode >= 500 ? 'server' : 'client' });
  }
}

/** The SDK turns epoch-second timestamps into Dates; so must an SDK-level fake. */
function withDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withDates);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, (k === 'CreatedTime' || k === 'UpdatedTime') && typeof v === 'number' ? new Date(v * 1000) : withDates(v)]),
  );
}

export interface HarnessOptions {
  /** Shortens the approval task's timeout (the definition's TimeoutSeconds and the handler's expiry). */
  approvalTimeoutSeconds?: number;
}

export async function startHarness(template: CfnTemplate, options: HarnessOptions = {}) {
  const workflow = options.approvalTimeoutSeconds ? withApprovalTimeout(loadWorkflow(template), options.approvalTimeoutSeconds) : loadWorkflow(template);

  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', resolve));
  const dbEndpoint = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  Object.assign(process.env, workflow.environment, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dbEndpoint,
    // As much logging as possible, so the token-leak test sees every line a handler could write.
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
  });
  const ddb = new DynamoDBClient({ endpoint: dbEndpoint });
  await createApprovalTable(ddb, workflow);

  // The stacks behind records report their status changes; the template's rules decide which function hears them.
  const serviceCatalog = new ServiceCatalogEmulator({
    onStackEvent: ({ stackId, status, statusReason }) => {
      const event = awsEvent('aws.cloudformation', 'CloudFormation Stack Status Change', [stackId], { 'stack-id': stackId, 'status-details': { status, 'status-reason': statusReason } });
      for (const rule of workflow.rules.filter((r) => matchesPattern(r.pattern, event))) {
        for (const target of rule.targets) {
          const fn = workflow.functionsByArn.get(target.arn);
          if (fn) void handlers[fn](event, { awsRequestId: 'event' } as Context).catch(() => undefined);
        }
      }
    },
  });
  const scMock = mockClient(sc.ServiceCatalogClient);
  for (const [operation, Command] of Object.entries(SERVICE_CATALOG_COMMANDS)) {
    scMock.on(Command as never).callsFake(async (input: Record<string, unknown>) => {
      try {
        return withDates(serviceCatalog.handle(operation, JSON.parse(JSON.stringify(input))));
      } catch (error) {
        throw toServiceCatalogError(error as AwsApiError);
      }
    });
  }

  const emails: SentEmail[] = [];
  const snsMock = mockClient(SNSClient);
  snsMock.on(PublishCommand).callsFake(async (input) => {
    emails.push({
      topicArn: input.TopicArn,
      subject: input.Subject,
      body: input.Message,
      approver: input.MessageAttributes?.approver?.StringValue,
    });
    return { MessageId: `msg-${emails.length}` };
  });

  const events: PutEventsRequestEntry[] = [];
  const ebMock = mockClient(EventBridgeClient);
  ebMock.on(PutEventsCommand).callsFake(async (input) => {
    events.push(...(input.Entries ?? []));
    return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `evt-${events.length + i}` })) };
  });

  const handlers = {} as Record<FunctionName, LambdaHandler>;
  for (const [name, folder] of Object.entries(FUNCTIONS)) {
    handlers[name as FunctionName] = (await import(`../../lambdas/${folder}/handler`)).handler;
  }

  const stepFunctions = new LocalStepFunctions(workflow, handlers, {
    waitTimeOverrides: { [STATES.waitForPlan]: 20, [STATES.waitForRecord]: 25 },
    retryIntervalOverrides: Object.fromEntries(Object.keys(workflow.definition.States as object).map((s) => [s, 10])),
  });
  const taskTokens: string[] = [];
  const sfnMock = mockClient(SFNClient);
  sfnMock.on(SendTaskSuccessCommand).callsFake(async (input) => {
    taskTokens.push(input.taskToken!);
    try {
      stepFunctions.sendTaskSuccess(input.taskToken!, input.output!);
      return {};
    } catch (error) {
      const e = error as AwsApiError;
      throw new SFNServiceException({ name: e.type, message: e.message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    }
  });

  // Handler logs (JSON lines on stdout and stderr) are collected for tests to assert on, not printed.
  const logs: string[] = [];
  const restoreOutput = [process.stdout, process.stderr].map((stream) => {
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

  const approvalApi = handlers.ApprovalApi;
  const approverCount = (JSON.parse(workflow.environment.APPROVERS ?? '[]') as unknown[]).length;
  const context = { awsRequestId: 'test', functionName: 'ApprovalApi', getRemainingTimeInMillis: () => 10_000 } as Context;

  return {
    workflow,
    serviceCatalog,
    stepFunctions,
    emails,
    events,
    logs,
    /** Task tokens the approval API sent back to Step Functions. */
    taskTokens,
    store: new ApprovalStore(DynamoDBDocumentClient.from(ddb), workflow.table.name),
    /** Runs a plan from start to end, deciding with the first approver's link when asked. */
    async run(input: unknown, decide?: { as?: string; decision: 'approve' | 'reject'; comment?: string }) {
      const execution = stepFunctions.startExecution(input);
      if (decide) {
        const planId = (input as { planId: string }).planId;
        const links = await this.untilWaitingForApproval(execution.executionArn, planId);
        const link = links.get(decide.as ?? 'alice@example.com');
        const page = await this.http('POST', link!, { decision: decide.decision, ...(decide.comment ? { comment: decide.comment } : {}) });
        if (page.statusCode !== 200) throw new Error(`Deciding failed with ${page.statusCode}: ${page.body}`);
      }
      return execution.finished;
    },
    /** The outcome emails and EventBridge events of one plan. */
    outcomesOf(planId: string) {
      const topic = workflow.environment.OUTCOME_TOPIC_ARN;
      return {
        emails: emails.filter((e) => e.topicArn === topic && e.body.includes(planId)),
        events: events.filter((e) => JSON.parse(e.Detail ?? '{}').planId === planId).map((e) => JSON.parse(e.Detail!)),
      };
    },
    /** Sends an HTTP request to the approval API handler, as API Gateway would. */
    async http(method: string, path: string, body?: Record<string, string> | string, contentType = 'application/x-www-form-urlencoded') {
      const encoded = body === undefined || typeof body === 'string' ? body : new URLSearchParams(body).toString();
      const headers: Record<string, string> = body === undefined ? {} : { 'content-type': contentType };
      return (await approvalApi(toApiGatewayEvent({ method, path, headers, body: encoded }), context)) as APIGatewayProxyResult;
    },
    /** Personal approval link paths (/approvals/<id>) sent by email for a plan, by approver email. */
    approvalLinks(planId: string): Map<string, string> {
      const links = new Map<string, string>();
      for (const email of emails.filter((e) => e.body.includes(`(${planId})`) || e.body.includes(`Plan: ${planId}`))) {
        const match = /\/approvals\/([A-Za-z0-9_-]{43})/.exec(email.body);
        if (match && email.approver) links.set(email.approver, match[0]);
      }
      return links;
    },
    /** Resolves with the approval links once the run waits for a decision on its plan. */
    async untilWaitingForApproval(executionArn: string, planId: string): Promise<Map<string, string>> {
      for (let i = 0; i < 500; i++) {
        const execution = stepFunctions.describeExecution(executionArn);
        if (execution.status !== 'RUNNING') throw new Error(`The run stopped (${execution.status}) before asking for approval`);
        const links = this.approvalLinks(planId);
        if (links.size === approverCount) return links;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('The run never started waiting for an approval');
    },
    async stop() {
      serviceCatalog.close();
      for (const restore of restoreOutput) restore();
      scMock.restore();
      snsMock.restore();
      ebMock.restore();
      sfnMock.restore();
      ddb.destroy();
      // The handlers' module-level clients keep connections alive; close them with the server.
      db.closeAllConnections();
      await new Promise((resolve) => db.close(resolve));
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
