import { runKeysOf } from '../../lambdas/shared/runtime/run-keys';

/** Every log line of a step names the run and the plan, and for a spoke's plan where it is: plan ids repeat across accounts. */
const executionArn = 'arn:aws:states:eu-central-1:111111111111:execution:PlanGate:created-1';

test('a step about a spoke plan logs its account and Region with its id', () => {
  const review = { planId: 'plan-1', accountId: '222222222222', region: 'eu-west-1' };
  expect(runKeysOf({ review, run: { executionArn } })).toEqual({ planId: 'plan-1', accountId: '222222222222', region: 'eu-west-1', executionArn });
  expect(runKeysOf({ planId: 'plan-1', accountId: '222222222222', region: 'eu-west-1', executionArn })).toMatchObject({
    accountId: '222222222222',
    region: 'eu-west-1',
  });
});

test('values that are not an account id or a Region never reach a log line', () => {
  const keys = runKeysOf({ planId: 'plan-1', accountId: '2222\n"injected"', region: '../eu-west-1', executionArn });
  expect(keys).toEqual({ planId: 'plan-1', accountId: undefined, region: undefined, executionArn });
});
