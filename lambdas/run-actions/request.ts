import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { planRefSchema } from '../shared/contracts/steps';
import { repeatedKey } from '../shared/domain/strict-json';
import { decodedSegment, oneLine } from '../shared/domain/text';
import { jsonResponse, signedCaller } from '../shared/runtime/http';
import { headerValue, rawBody } from '../shared/web/form';

const MAX_BODY_BYTES = 10_000;

export type Fields = Record<string, unknown>;

/** What a signed action on a plan carries once its request is well-formed. */
export interface SignedAction {
  /** The caller's ARN, as API Gateway verified its SigV4 signature. */
  caller: string;
  planId: string;
  fields: Fields;
}

export const isAnswer = (value: unknown): value is APIGatewayProxyResult => typeof value === 'object' && value !== null && 'statusCode' in value;

/**
 * The checks every route here makes before anything is read: a POST, signed with AWS credentials, naming a plan, with a
 * JSON object body (or none) holding only the keys the action takes, each once. Otherwise the answer that says what is
 * wrong: 405, 403, 400, 413 or 415.
 */
export function signedAction(event: APIGatewayProxyEvent, planIdParam: string, keys: string[], what: string): SignedAction | APIGatewayProxyResult {
  if (event.httpMethod.toUpperCase() !== 'POST')
    return jsonResponse(405, { error: `${event.httpMethod} is not supported here; POST ${what}` }, { Allow: 'POST' });
  const caller = signedCaller(event);
  if (!caller) return jsonResponse(403, { error: 'This route takes requests signed with AWS credentials (SigV4)' });
  const planId = planRefSchema.safeParse(decodedSegment(planIdParam));
  if (!planId.success)
    return jsonResponse(400, { error: 'The path does not name a plan: planId must be 1-100 characters of letters, digits, "_" or "-"' });
  const fields = jsonBody(event, keys);
  return isAnswer(fields) ? fields : { caller, planId: planId.data, fields };
}

function jsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>, keys: string[]): Fields | APIGatewayProxyResult {
  const raw = rawBody(event);
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return jsonResponse(413, { error: `The request body is larger than ${MAX_BODY_BYTES} bytes` });
  if (!raw) return {};
  if (headerValue(event, 'content-type')?.split(';')[0]?.trim().toLowerCase() !== 'application/json')
    return jsonResponse(415, { error: 'Send the body as application/json' });
  let fields: unknown;
  try {
    fields = JSON.parse(raw);
  } catch {
    fields = undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields))
    return jsonResponse(400, { error: 'The request body is not a JSON object' });
  const repeated = repeatedKey(raw);
  if (repeated !== undefined) return jsonResponse(400, { error: `The key "${oneLine(repeated).slice(0, 40)}" is given more than once` });
  const unknown = Object.keys(fields).find((key) => !keys.includes(key));
  if (unknown !== undefined) return jsonResponse(400, { error: `Unknown key "${oneLine(unknown).slice(0, 40)}": the body takes ${keys.join(', ')}` });
  return fields as Fields;
}

/** A text field on one line; `required` refuses it absent or blank. */
export function textField(fields: Fields, key: string, max: number, required: boolean): string | undefined | APIGatewayProxyResult {
  const value = fields[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string') return jsonResponse(400, { error: `${key} must be text${required ? ' and is required' : ''}` });
  const text = oneLine(value).trim();
  if (required && !text) return jsonResponse(400, { error: `${key} is required: say why (1 to ${max} characters)` });
  if (text.length > max) return jsonResponse(400, { error: `${key} is longer than ${max} characters` });
  return text || undefined;
}
