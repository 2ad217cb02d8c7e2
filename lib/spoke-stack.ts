import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  App,
  Aws,
  BootstraplessSynthesizer,
  CfnParameter,
  aws_events as events,
  aws_iam as iam,
  Stack,
  type StackProps,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { HUB_BUS_NAME, SPOKE_STACK_NAME, spokeRoleName } from '../lambdas/shared/contracts/spokes';
import { hubRoleName, SPOKE_CALLERS } from './hub';
import { PLAN_CREATED_PATTERN, SETTLED_STACK_STATUSES } from './triggers';

/** The spoke stack's parameters: where its hub is (a StackSet passes the hub stack's own account and Region). */
export const SPOKE_PARAMETERS = { hubAccountId: 'HubAccountId', hubRegion: 'HubRegion' } as const;

/** The forwarding rules' role (not plangate-spoke-*: the hub's functions may assume only the spoke role). */
export const spokeForwardRoleName = (region: string) => `plangate-forward-${region}`;
/** The forwarding rules on the spoke's default bus (rule names are per bus, so per account and Region). */
export const SPOKE_RULE_NAMES = { planCreated: 'plangate-forward-plan-created', stackFinished: 'plangate-forward-stack-finished' } as const;

/**
 * What PlanGate needs in a member account and Region, and nothing more: the role the hub's functions assume to
 * describe, execute and delete plans and read records there, and the two rules that forward the events the hub
 * acts on (a new plan, a provisioned product's stack settling) to the hub bus.
 *
 * Bootstrapless: the template has no assets and no bootstrap check, so a StackSet can deploy it to accounts that
 * were never bootstrapped.
 */
export class PlanGateSpokeStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      synthesizer: new BootstraplessSynthesizer(),
      description: 'PlanGate spoke: the role the PlanGate hub assumes here, and the rules that forward plan and stack events to it',
      ...props,
    });
    const hubAccountId = new CfnParameter(this, SPOKE_PARAMETERS.hubAccountId, {
      description: 'The account PlanGate (the hub) is deployed to',
      allowedPattern: '^\\d{12}$',
    }).valueAsString;
    const hubRegion = new CfnParameter(this, SPOKE_PARAMETERS.hubRegion, {
      description: 'The Region PlanGate (the hub) is deployed to',
      allowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
    }).valueAsString;
    this.role = this.spokeRole(hubAccountId, hubRegion);
    this.forwardToHub(`arn:${Aws.PARTITION}:events:${hubRegion}:${hubAccountId}:event-bus/${HUB_BUS_NAME}`);
  }

  /**
   * Trusted by the hub account only for its Service Catalog-calling functions' roles (by ARN, as a condition: a
   * principal naming the roles would break for good if the hub's roles were ever recreated), and only with a source
   * identity that names a PlanGate run, so this account's CloudTrail says which run did what.
   */
  private spokeRole(hubAccountId: string, hubRegion: string): iam.Role {
    const hubRoles = SPOKE_CALLERS.map((name) => `arn:${Aws.PARTITION}:iam::${hubAccountId}:role/${hubRoleName(name, hubRegion)}`);
    const role = new iam.Role(this, 'SpokeRole', {
      roleName: spokeRoleName(Aws.REGION),
      description: 'PlanGate: lets the hub describe, execute and delete Service Catalog plans and read their records here',
      assumedBy: new iam.AccountPrincipal(hubAccountId).withConditions({
        ArnEquals: { 'aws:PrincipalArn': hubRoles },
        StringLike: { 'sts:SourceIdentity': 'plangate-*' },
      }),
      inlinePolicies: {
        ServiceCatalogPlans: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              // These actions have no resource types: IAM accepts only "*".
              actions: [
                'servicecatalog:DescribeProvisionedProductPlan',
                'servicecatalog:DescribeProductAsAdmin',
                'servicecatalog:ExecuteProvisionedProductPlan',
                'servicecatalog:DeleteProvisionedProductPlan',
                'servicecatalog:DescribeRecord',
              ],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    // The hub sets the source identity, which needs the trust policy's leave (it passes no session tags).
    role.assumeRolePolicy?.addStatements(
      new iam.PolicyStatement({
        actions: ['sts:SetSourceIdentity'],
        principals: [new iam.AccountPrincipal(hubAccountId)],
        conditions: { ArnEquals: { 'aws:PrincipalArn': hubRoles }, StringLike: { 'sts:SourceIdentity': 'plangate-*' } },
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'Service Catalog plan and record actions have no resource types; IAM accepts only "*" for them.',
    });
    return role;
  }

  /** The two rules on this account's default bus, and the role they put events on the hub bus with. */
  private forwardToHub(hubBusArn: string) {
    const hubBus = events.EventBus.fromEventBusArn(this, 'HubBus', hubBusArn);
    // The target grants it events:PutEvents on the hub bus, and nothing else. Names fixed, for the example SCP to protect.
    const role = new iam.Role(this, 'ForwardRole', {
      roleName: spokeForwardRoleName(Aws.REGION),
      description: 'PlanGate: lets the forwarding rules put events on the hub bus',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
    });
    const toHub = new targets.EventBus(hubBus, { role });
    new events.Rule(this, 'PlanCreatedForwardRule', {
      ruleName: SPOKE_RULE_NAMES.planCreated,
      description: 'Forwards CloudTrail records of new provisioned product plans to the PlanGate hub',
      eventPattern: PLAN_CREATED_PATTERN,
      targets: [toHub],
    });
    new events.Rule(this, 'StackFinishedForwardRule', {
      ruleName: SPOKE_RULE_NAMES.stackFinished,
      description: 'Forwards the settled statuses of Service Catalog stacks (SC-*) to the PlanGate hub',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': events.Match.wildcard(`arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/SC-*/*`),
          'status-details': { status: SETTLED_STACK_STATUSES },
        },
      },
      targets: [toHub],
    });
  }
}

/**
 * The spoke stack's template, for the hub's StackSet: synthesized apart, in an app of its own, as `cdk synth` writes
 * it for PlanGateSpoke.
 */
export function spokeTemplateBody(): string {
  // An output folder of its own: under `cdk synth`, an app's default one is the CLI's (CDK_OUTDIR).
  const outdir = mkdtempSync(path.join(tmpdir(), 'plangate-spoke-'));
  try {
    const app = new App({ outdir });
    const stack = new PlanGateSpokeStack(app, SPOKE_STACK_NAME);
    return JSON.stringify(app.synth().getStackArtifact(stack.artifactId).template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
