import {
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_events as events,
  aws_iam as iam,
  type aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  type aws_secretsmanager as secretsmanager,
  type aws_sns as sns,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type EnvironmentName, encodeEnvironment } from '../lambdas/shared/contracts/environment';
import { FUNCTION_METADATA_KEY, type FunctionName, handlerEntry } from './functions';

/** A log group for the workflow: encrypted with its key, kept for the configured time, retained with the stack. */
export function workflowLogGroup(scope: Construct, id: string, props: { key: kms.IKey; retention: logs.RetentionDays }): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: props.retention, encryptionKey: props.key, removalPolicy: RemovalPolicy.RETAIN });
}

export interface WorkflowFunctionProps {
  /** Encrypts the function's log group. */
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** For a function invoked asynchronously (by EventBridge): how often Lambda retries a failed invocation. @default 2 */
  readonly asyncRetries?: number;
  /** Where asynchronous invocations that failed every retry go. @default - none (only for functions the state machine invokes) */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * One of the workflow's functions (lambdas/<name>/handler.ts, bundled with the local esbuild for Node.js 24 on
 * ARM64), with a role and a log group of its own: the role may write to that log group only, instead of
 * AWSLambdaBasicExecutionRole's every log group. The bind methods set an environment variable from the
 * functions' environment contract and grant what it needs in one call, so the two never drift apart.
 */
export class WorkflowFunction extends nodejs.NodejsFunction {
  declare readonly role: iam.IRole;

  constructor(scope: Construct, name: FunctionName, props: WorkflowFunctionProps) {
    super(scope, `${name}Function`, WorkflowFunction.functionProps(scope, name, props));
    // Local mode knows the function by this entry, not by its logical id.
    (this.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_METADATA_KEY, name);
    // Lambda sends dead letters as the function's role; CDK grants sqs:SendMessage alone, but the queue is encrypted.
    if (props.deadLetterQueue) props.key.grant(this.role, 'kms:GenerateDataKey', 'kms:Decrypt');
  }

  /**
   * The role and the log group are created beside the function, not inside it: their construct ids, and so their
   * logical ids, predate this class, and a retained log group must keep its id (test/logical-ids.test.ts).
   */
  private static functionProps(scope: Construct, name: FunctionName, props: WorkflowFunctionProps): nodejs.NodejsFunctionProps {
    const logGroup = workflowLogGroup(scope, `${name}Logs`, { key: props.key, retention: props.logRetention });
    const role = new iam.Role(scope, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);
    return {
      entry: handlerEntry(name),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(60),
      role,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      // The stack's name is the service in logs and traces, and the metrics' `service` dimension (lib/monitoring.ts).
      environment: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: Stack.of(scope).stackName },
      bundling: { target: 'node24', minify: true, keepNames: true, sourceMap: true, forceDockerBundling: false },
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue, retryAttempts: props.asyncRetries ?? 2 } : {}),
    };
  }

  /** Sets variables of the functions' environment contract (lambdas/shared/contracts/environment.ts). */
  setEnvironment(values: Parameters<typeof encodeEnvironment>[0]): this {
    for (const [name, value] of Object.entries(encodeEnvironment(values))) this.addEnvironment(name, value);
    return this;
  }

  /**
   * TABLE_NAME, with only the item actions the function uses: `create` adds items (approvals, links, creators) and
   * updates them, `update` reads and updates items it does not create, `read` only reads. No function may delete an
   * item, write in batches or scan: the approval records are the audit trail (the table's resource policy denies
   * deletes to everyone as well).
   */
  bindTable(table: dynamodb.ITable, access: 'create' | 'update' | 'read'): this {
    this.setEnvironment({ TABLE_NAME: table.tableName });
    const actions = { read: ['GetItem'], update: ['GetItem', 'UpdateItem'], create: ['GetItem', 'PutItem', 'UpdateItem'] }[access];
    table.grant(this, ...actions.map((action) => `dynamodb:${action}`));
    if (access === 'read') table.encryptionKey?.grantDecrypt(this);
    else table.encryptionKey?.grantEncryptDecrypt(this);
    return this;
  }

  /** A topic's ARN under `name`, with permission to publish to it. */
  bindTopic(name: Extract<EnvironmentName, `${string}_TOPIC_ARN`>, topic: sns.ITopic): this {
    this.setEnvironment({ [name]: topic.topicArn });
    topic.grantPublish(this);
    return this;
  }

  /** A secret's id (never its value) under `name`, with permission to read it at run time. */
  bindSecret(name: Extract<EnvironmentName, `${string}_SECRET_ID`>, secretId: string, secret: secretsmanager.ISecret): this {
    this.setEnvironment({ [name]: secretId });
    secret.grantRead(this);
    return this;
  }

  /** The bus and `source` of the events the function puts, with permission to put them. */
  bindEventBus(bus: events.IEventBus, source: string): this {
    this.setEnvironment({ EVENT_BUS_NAME: bus.eventBusName, EVENT_SOURCE: source });
    bus.grantPutEventsTo(this);
    return this;
  }

  /**
   * Service Catalog actions, one statement each. Its plan and record actions have no resource types, so IAM
   * accepts only "*" for them: each function gets exactly the actions it calls.
   */
  allowServiceCatalog(...actions: string[]): this {
    for (const action of actions) {
      this.addToRolePolicy(new iam.PolicyStatement({ actions: [`servicecatalog:${action}`], resources: ['*'] }));
    }
    return this;
  }
}
