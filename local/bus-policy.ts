import type { PolicyStatement } from './template';

/**
 * An event bus's resource policy, evaluated as IAM does for `events:PutEvents` from another account: an explicit Deny
 * wins, then any Allow whose principal, action and every condition match; nothing matching is a refusal. A condition
 * on a key local mode cannot evaluate does not match (fail closed).
 */

/** Who puts the event, and what it is: the values of the condition keys. */
export interface PutRequest {
  principalArn: string;
  principalAccount: string;
  /** The sender's organization, if it is in one. */
  principalOrgId?: string;
  source: string;
  detailType: string;
}

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** IAM's string wildcards: `*` any run of characters, `?` one. */
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

function conditionValue(key: string, request: PutRequest): string | undefined {
  switch (key.toLowerCase()) {
    case 'aws:principalorgid':
      return request.principalOrgId;
    case 'aws:principalaccount':
      return request.principalAccount;
    case 'aws:principalarn':
      return request.principalArn;
    case 'events:source':
      return request.source;
    case 'events:detail-type':
      return request.detailType;
    default:
      return undefined;
  }
}

const OPERATORS: Record<string, (pattern: string, value: string) => boolean> = {
  StringEquals: (pattern, value) => pattern === value,
  StringLike: like,
};

function conditionsHold(condition: PolicyStatement['Condition'], request: PutRequest): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) => {
    // The request has one value per key here, so ForAnyValue/ForAllValues compare it as the plain operator does.
    const test = OPERATORS[operator.replace(/^For(Any|All)Values:/, '')];
    if (!test) return false;
    return Object.entries(keys).every(([key, patterns]) => {
      const value = conditionValue(key, request);
      return value !== undefined && asList(patterns).some((pattern) => test(pattern, value));
    });
  });
}

function principalMatches(principal: PolicyStatement['Principal'], request: PutRequest): boolean {
  if (principal === '*') return true;
  return asList(principal?.AWS).some(
    (p) => p === '*' || p === request.principalAccount || p === `arn:aws:iam::${request.principalAccount}:root` || p === request.principalArn,
  );
}

const actionMatches = (action: PolicyStatement['Action']) => asList(action).some((a) => like(a.toLowerCase(), 'events:putevents'));

/** Whether the policy lets this request put its event on the bus. */
export function policyAdmits(statements: PolicyStatement[], request: PutRequest): boolean {
  const applies = (s: PolicyStatement) => actionMatches(s.Action) && principalMatches(s.Principal, request) && conditionsHold(s.Condition, request);
  const matching = statements.filter(applies);
  return !matching.some((s) => s.Effect === 'Deny') && matching.some((s) => s.Effect === 'Allow');
}
