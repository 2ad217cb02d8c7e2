import { ConditionalCheckFailedException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { InvalidToken, SFNServiceException, TaskDoesNotExist, TaskTimedOut } from '@aws-sdk/client-sfn';
import { isConditionFailure, isEndedTaskError } from '../../lambdas/shared/adapters/aws-errors';

/*
 * A decision or a stack event that comes after its task ended must not fail (the run moved on), and a conditional
 * write that loses a race is an answer, not a fault; any other error must still surface.
 */
const $metadata = {};

test.each([
  ['timed out', new TaskTimedOut({ message: 'Task Timed Out', $metadata })],
  ['gone', new TaskDoesNotExist({ message: 'Task does not exist', $metadata })],
  ['never issued', new InvalidToken({ message: 'Invalid Token', $metadata })],
])('a task token whose task is %s counts as an ended task', (_, error) => {
  expect(isEndedTaskError(error)).toBe(true);
});

test('other Step Functions errors do not count as an ended task', () => {
  expect(isEndedTaskError(new SFNServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'try later', $metadata }))).toBe(false);
  expect(isEndedTaskError(new Error('Task Timed Out'))).toBe(false);
});

test('only a failed condition counts as a condition failure', () => {
  expect(isConditionFailure(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata }))).toBe(true);
  expect(isConditionFailure(new ResourceNotFoundException({ message: 'no table', $metadata }))).toBe(false);
});
