import { linkKey, planKey, recordKey, runKey } from '../../lambdas/shared/contracts/table-keys';

/*
 * The approval table is the audit trail and outlives every deployment: a key format that changed would leave every
 * record already written unreadable, by the functions, `plangate status` and the printed `aws dynamodb get-item`.
 */
test('an approval record, an archived run, a personal link and a record wait keep their key formats', () => {
  const run = 'arn:aws:states:us-east-1:111122223333:execution:Workflow:run-1';
  expect(planKey('plan-abc')).toBe('PLAN#plan-abc');
  expect(runKey('plan-abc', run)).toBe(`PLAN#plan-abc#RUN#${run}`);
  expect(linkKey('5e2f')).toBe('LINK#5e2f');
  expect(recordKey('pp-abc')).toBe('RECORD#pp-abc');
});
