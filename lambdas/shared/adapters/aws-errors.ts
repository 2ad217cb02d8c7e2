/** Step Functions' answers for a task token whose task has ended (timed out, or the run moved on) or never existed. */
const ENDED_TASK_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export const isEndedTaskError = (error: unknown) => ENDED_TASK_ERRORS.has((error as Error).name);

/** DynamoDB's answer to a conditional write whose condition did not hold. */
export const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';
