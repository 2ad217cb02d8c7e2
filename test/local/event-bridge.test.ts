import { awsEvent, LocalEventBridge, type TargetDelivery } from '../../local/event-bridge';
import { Outbox } from '../../local/outbox';
import { AwsApiError } from '../../local/service-catalog';
import type { AsyncInvocation, LocalRule } from '../../local/template';

/**
 * A rule targeting a function: EventBridge hands the event to Lambda, and Lambda, not the rule, retries a failing
 * invocation (the function's EventInvokeConfig) and then dead-letters it (the function's DeadLetterConfig).
 * The rule's own retry policy and dead-letter queue are for a delivery Lambda refuses.
 */
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Watch';
const RULE_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:RuleQueue';
const FUNCTION_QUEUE = 'arn:aws:sqs:us-east-1:000000000000:FunctionQueue';
const rule: LocalRule = {
  name: 'Rule',
  arn: 'arn:aws:events:us-east-1:000000000000:rule/Rule',
  pattern: { source: ['test'] },
  enabled: true,
  targets: [{ id: 'Target0', arn: FUNCTION_ARN, deadLetterArn: RULE_QUEUE }],
};

function busWith(invocation: AsyncInvocation | undefined) {
  const outbox = new Outbox();
  const invocations: unknown[] = [];
  const delivery: TargetDelivery = {
    startExecution: () => undefined,
    publish: () => undefined,
    asyncInvocation: (arn) => {
      if (!invocation) throw new AwsApiError('ResourceNotFoundException', `Function not found: ${arn}`);
      return invocation;
    },
    invokeFunction: async (_arn, event) => {
      invocations.push(event);
      throw new Error('the handler failed');
    },
  };
  const bus = new LocalEventBridge([rule], delivery, outbox, { timeScale: 0.0001 });
  return { bus, outbox, invocations };
}

const deadLetters = (outbox: Outbox) => outbox.list().filter((e) => e.channel === 'dlq');

test('a function with no retries (as WatchRuns) is invoked once, and its event goes to the function’s dead-letter queue', async () => {
  const { bus, outbox, invocations } = busWith({ maximumRetryAttempts: 0, deadLetterArn: FUNCTION_QUEUE });
  bus.emit(awsEvent('test', 'Tick', [], { n: 1 }));
  await bus.idle();
  expect(invocations).toHaveLength(1);
  expect(deadLetters(outbox).map((e) => e.recipient)).toEqual([FUNCTION_QUEUE]);
});

test('a function with two retries is invoked three times before its dead letter', async () => {
  const { bus, outbox, invocations } = busWith({ maximumRetryAttempts: 2, deadLetterArn: FUNCTION_QUEUE });
  bus.emit(awsEvent('test', 'Tick', [], { n: 2 }));
  await bus.idle();
  expect(invocations).toHaveLength(3);
  const deadLetter = expect.objectContaining({ recipient: FUNCTION_QUEUE, subject: expect.stringContaining('the handler failed') });
  expect(deadLetters(outbox)).toEqual([deadLetter]);
});

test('a function with no dead-letter queue loses the event, even when the rule’s target has one', async () => {
  const { bus, outbox } = busWith({ maximumRetryAttempts: 0 });
  bus.emit(awsEvent('test', 'Tick', [], { n: 3 }));
  await bus.idle();
  expect(deadLetters(outbox)).toEqual([]);
});

test('an invocation Lambda refuses (no such function) goes to the rule target’s dead-letter queue', async () => {
  const { bus, outbox, invocations } = busWith(undefined);
  bus.emit(awsEvent('test', 'Tick', [], { n: 4 }));
  await bus.idle();
  expect(invocations).toEqual([]);
  expect(deadLetters(outbox).map((e) => e.recipient)).toEqual([RULE_QUEUE]);
});
