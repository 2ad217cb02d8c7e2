import type { ReviewResult } from '../../lambdas/shared/contracts/steps';

/** ReviewPlan output for a reviewed plan; clone before changing it. */
export const review = (): ReviewResult => ({
  planId: 'plan-abc',
  acceptLanguage: 'en',
  requestedBy: 'dev@example.com',
  planStatus: 'CREATE_SUCCESS',
  plan: { planId: 'plan-abc', planName: 'orders-update', status: 'CREATE_SUCCESS', provisionedProductId: 'pp-1', provisionedProductName: 'orders' },
  summary: {
    total: 2,
    countsByAction: { REMOVE: 1, ADD: 1 },
    replacements: 0,
    risk: 'HIGH',
    countsByRisk: { HIGH: 1, MEDIUM: 0, LOW: 1 },
    changes: [
      {
        action: 'REMOVE',
        logicalResourceId: 'OldTopic',
        resourceType: 'AWS::SNS::Topic',
        physicalResourceId: 'arn:old',
        risk: 'HIGH',
        reason: 'removes AWS::SNS::Topic',
      },
      { action: 'ADD', logicalResourceId: 'Queue', resourceType: 'AWS::SQS::Queue', risk: 'LOW' },
    ],
    unlisted: 0,
  },
  changesDigest: 'digest-of-reviewed-changes',
  policy: { autoApproved: false, requiredApprovals: 2, rule: 'HIGH risk needs 2 approvals (plangate:requiredApprovals)' },
  reviewedAt: '2026-11-22T10:00:00.000Z',
});
