/**
 * Errors the state machine routes on. Step Functions matches `Retry`/`Catch` on the error's name,
 * so each class name here is part of the state machine's contract (see lib/workflow-definition.ts).
 * Pass `{ cause }` when an error wraps another, so the original stays in the logs.
 */
abstract class NamedError extends Error {
  // Spelled out, not taken from the class: minified bundles rename classes, and these names must not change.
  abstract override readonly name: string;
}

/** An error that is one of the workflow's ordinary endings (or a retry), not a fault to alarm on. */
export abstract class ExpectedError extends NamedError {}

/** The run's input is unusable; nothing was read or executed. */
export class InvalidInputError extends ExpectedError {
  override readonly name: string = 'InvalidInputError';
}

/**
 * The run's input names a valid plan id but is unusable otherwise. Its own name, so the state machine keeps that plan
 * id for the outcome (it copies only a validated id from the execution's input, never the input itself).
 */
export class InvalidPlanInputError extends InvalidInputError {
  override readonly name = 'InvalidPlanInputError';
}

/** The change calendar is closed (a freeze, or outside every allow window): the plan was not executed. */
export class CalendarClosedError extends ExpectedError {
  override readonly name = 'CalendarClosedError';
}

/** A windowed run's approval is older than plangate:approvalValidityHours: the plan was not executed. */
export class ApprovalStaleError extends ExpectedError {
  override readonly name = 'ApprovalStaleError';
}

/** A windowed run reached its execution after executeWindow.notAfter: the plan was not executed. */
export class WindowMissedError extends ExpectedError {
  override readonly name = 'WindowMissedError';
}

/** A run waiting for its execution window was cancelled (`plangate cancel`): the plan was not executed. */
export class RunCancelledError extends ExpectedError {
  override readonly name = 'RunCancelledError';
}

/** The plan cannot be reviewed or executed: missing, failed, or in a state other than CREATE_SUCCESS. */
export class PlanNotReadyError extends ExpectedError {
  override readonly name = 'PlanNotReadyError';
}

/** The plan changed (status or resource changes) after it was reviewed and approved; it is not executed. */
export class PlanChangedError extends ExpectedError {
  override readonly name = 'PlanChangedError';
}

/** A configured rule forbids this plan (it touches a denied resource type); nobody is asked, nothing runs. */
export class PlanDeniedError extends ExpectedError {
  override readonly name = 'PlanDeniedError';
}

/** Another run already owns the approval for this plan (EventBridge delivers at least once). */
export class DuplicateRunError extends ExpectedError {
  override readonly name = 'DuplicateRunError';
}

/** A throttling or service-side failure that is worth retrying (the state machine retries it). */
export class TransientError extends ExpectedError {
  override readonly name = 'TransientError';
}

/** The spoke's PlanGate role is missing, or refused AssumeRole: the message names the role. Not transient. */
export class SpokeAccessDeniedError extends ExpectedError {
  override readonly name = 'SpokeAccessDeniedError';
}

/** A plan cannot be released: it has no approval record, or its run is still running. */
export class ReleaseRefusedError extends ExpectedError {
  override readonly name = 'ReleaseRefusedError';
  constructor(
    message: string,
    readonly reason: 'unknown-plan' | 'still-running' | 'rejected' | 'executed',
  ) {
    super(message);
  }
}

/** The approval record does not say this run was approved; refuse to execute. */
export class ApprovalMissingError extends NamedError {
  override readonly name = 'ApprovalMissingError';
}
