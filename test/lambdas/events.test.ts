import { outcomeDetailSchema, reviewRequestDetailSchema } from '../../lambdas/shared/contracts/events';
import type { RunState } from '../../lambdas/shared/contracts/steps';
import * as z from '../../lambdas/shared/contracts/zod';
import { describeOutcome } from '../../lambdas/shared/domain/outcome';

/*
 * The review request and the outcome event are PlanGate's public integration surface: other systems write the one
 * and read the other by their published schemas, so every field the outcome event carries must be in its schema.
 */
const run = { executionArn: 'arn:aws:states:us-east-1:111122223333:execution:Workflow:run-1', startedAt: '2026-11-22T10:00:00.000Z', planChecks: 0 };
const executed: RunState = {
  input: { planId: 'plan-abc' },
  run,
  outcome: 'FAILED',
  review: {
    planId: 'plan-abc',
    acceptLanguage: 'en',
    requestedBy: 'dev@example.com',
    planStatus: 'CREATE_SUCCESS',
    plan: { planId: 'plan-abc', planName: 'orders-update', status: 'CREATE_SUCCESS', provisionedProductId: 'pp-1', provisionedProductName: 'orders' },
    summary: { total: 0, countsByAction: {}, replacements: 0, risk: 'LOW', countsByRisk: { HIGH: 0, MEDIUM: 0, LOW: 0 }, changes: [], unlisted: 0 },
    changesDigest: 'digest',
    policy: { autoApproved: false, requiredApprovals: 1, rule: 'LOW risk needs 1 approval' },
    reviewedAt: '2026-11-22T10:00:01.000Z',
  },
  approval: {
    decision: 'APPROVED',
    approver: { email: 'alice@example.com', name: 'Alice' },
    comment: 'ship it',
    channel: 'web',
    requestedAt: '2026-11-22T10:00:05.000Z',
    decidedAt: '2026-11-22T10:12:05.000Z',
  },
  execution: { recordId: 'rec-1', idempotencyToken: 'tok', recordStatus: 'CREATED', executedAt: '2026-11-22T10:12:06.000Z' },
  record: {
    recordId: 'rec-1',
    status: 'FAILED',
    provisionedProductId: 'pp-1',
    provisionedProductName: 'orders',
    recordErrors: [{ code: 'E', description: 'Stack rolled back' }],
    recordErrorsUnlisted: 2,
    recordOutputs: [],
    checks: 3,
    safetyNetWaits: 1,
    quickChecks: 0,
    seenEventAt: '',
    wake: {},
    next: 'await',
    nextCheckInSeconds: 40,
    timedOut: false,
    checkedAt: '2026-11-22T10:14:06.000Z',
  },
};

test('the outcome event’s detail is exactly what its published schema describes', () => {
  const detail = JSON.parse(JSON.stringify(describeOutcome(executed, new Date('2026-11-22T10:15:00.000Z')).detail));
  // Parsing drops what the schema does not name, so an unpublished field would be missing here.
  expect(z.parse(outcomeDetailSchema, detail)).toEqual(detail);
  expect(Object.keys(detail)).toEqual(expect.arrayContaining(['recordErrorsUnlisted', 'approver', 'comment', 'decision', 'durationsSeconds']));
});

test('the detail of a run that ended before its review also matches the schema', () => {
  const detail = JSON.parse(JSON.stringify(describeOutcome({ input: { plan: 1 }, run, outcome: 'INVALID_INPUT' }, new Date()).detail));
  expect(z.parse(outcomeDetailSchema, detail)).toEqual(detail);
});

test('a review request names a plan, and may name the language and who asked', () => {
  expect(z.safeParse(reviewRequestDetailSchema, { planId: 'plan-abc', acceptLanguage: 'jp', requestedBy: 'dev@example.com' }).success).toBe(true);
  expect(z.safeParse(reviewRequestDetailSchema, { acceptLanguage: 'jp' }).success).toBe(false);
  expect(z.safeParse(reviewRequestDetailSchema, { planId: 'plan-abc', acceptLanguage: 'fr' }).success).toBe(false);
});
