import type { PlanRegistration } from './service-catalog';

/** Realistic plans loaded when local mode starts. */
export const DEMO_PLANS: PlanRegistration[] = [
  {
    ProvisionedProductPlanDetails: {
      PlanId: 'plan-demoorders0001',
      PlanName: 'orders-service-prod-update',
      ProvisionProductId: 'pp-wd4zq2b6nhy7c',
      ProvisionProductName: 'orders-service-prod',
      ProductId: 'prod-5ejdthn2xkq6a',
      ProvisioningArtifactId: 'pa-7m3xk5tqv2j4e',
    },
    product: { Name: 'Orders service', ProvisioningArtifactName: 'v2.4.0' },
    ResourceChanges: [
      { Action: 'ADD', LogicalResourceId: 'OrdersDeadLetterQueue', ResourceType: 'AWS::SQS::Queue', Scope: [], Details: [] },
      {
        Action: 'MODIFY',
        LogicalResourceId: 'OrdersFunction',
        PhysicalResourceId: 'orders-service-prod-fn',
        ResourceType: 'AWS::Lambda::Function',
        Replacement: 'FALSE',
        Scope: ['PROPERTIES'],
        Details: [
          {
            Target: { Attribute: 'PROPERTIES', Name: 'MemorySize', RequiresRecreation: 'NEVER' },
            Evaluation: 'STATIC',
            CausingEntity: 'FunctionMemoryMb',
          },
          { Target: { Attribute: 'PROPERTIES', Name: 'Environment', RequiresRecreation: 'NEVER' }, Evaluation: 'STATIC' },
        ],
      },
      {
        Action: 'REMOVE',
        LogicalResourceId: 'LegacyOrdersTopic',
        PhysicalResourceId: 'arn:aws:sns:us-east-1:111122223333:legacy-orders',
        ResourceType: 'AWS::SNS::Topic',
        Scope: [],
        Details: [],
      },
      {
        Action: 'MODIFY',
        LogicalResourceId: 'OrdersTable',
        PhysicalResourceId: 'orders-prod',
        ResourceType: 'AWS::DynamoDB::Table',
        Replacement: 'TRUE',
        Scope: ['PROPERTIES'],
        // Why the table is replaced: its key schema changes, which DynamoDB can only do by re-creating it.
        Details: [
          {
            Target: { Attribute: 'PROPERTIES', Name: 'BillingMode', RequiresRecreation: 'NEVER' },
            Evaluation: 'STATIC',
            CausingEntity: 'TableBillingMode',
          },
          { Target: { Attribute: 'PROPERTIES', Name: 'KeySchema', RequiresRecreation: 'ALWAYS' }, Evaluation: 'STATIC' },
        ],
      },
    ],
    simulation: {
      recordSeconds: 4,
      finalStatus: 'SUCCEEDED',
      recordOutputs: [{ OutputKey: 'DeadLetterQueueUrl', OutputValue: 'https://sqs.us-east-1.amazonaws.com/111122223333/orders-dlq' }],
    },
  },
  {
    ProvisionedProductPlanDetails: {
      PlanId: 'plan-demodashbrd001',
      PlanName: 'add-monitoring-dashboard',
      ProvisionProductName: 'observability-dev',
    },
    ResourceChanges: [
      { Action: 'ADD', LogicalResourceId: 'ServiceDashboard', ResourceType: 'AWS::CloudWatch::Dashboard', Scope: [], Details: [] },
      { Action: 'ADD', LogicalResourceId: 'LatencyAlarm', ResourceType: 'AWS::CloudWatch::Alarm', Scope: [], Details: [] },
    ],
    simulation: { recordSeconds: 2, finalStatus: 'SUCCEEDED' },
  },
  {
    ProvisionedProductPlanDetails: {
      PlanId: 'plan-demoanalytic01',
      PlanName: 'analytics-db-resize',
      ProvisionProductName: 'analytics-db',
    },
    ResourceChanges: [
      {
        Action: 'MODIFY',
        LogicalResourceId: 'AnalyticsDatabase',
        PhysicalResourceId: 'analytics-db',
        ResourceType: 'AWS::RDS::DBInstance',
        Replacement: 'CONDITIONAL',
        Scope: ['PROPERTIES'],
        Details: [
          {
            Target: { Attribute: 'PROPERTIES', Name: 'DBInstanceClass', RequiresRecreation: 'NEVER' },
            Evaluation: 'STATIC',
            CausingEntity: 'InstanceClass',
          },
          {
            Target: { Attribute: 'PROPERTIES', Name: 'DBSubnetGroupName', RequiresRecreation: 'CONDITIONALLY' },
            Evaluation: 'DYNAMIC',
            CausingEntity: 'AnalyticsSubnetGroup',
          },
        ],
      },
    ],
    simulation: {
      recordSeconds: 4,
      finalStatus: 'FAILED',
      recordErrors: [
        { Code: 'CFN_UPDATE_FAILED', Description: 'AnalyticsDatabase: DB instance class db.r7g.24xlarge is not available in this region' },
      ],
    },
  },
];
