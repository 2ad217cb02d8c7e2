import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface HttpRequest {
  method: string;
  /** Path below the stage, e.g. /approvals/abc. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  query?: Record<string, string>;
}

/** Who signed a request to an AWS_IAM route, as API Gateway tells the function. */
export interface SignedCaller {
  arn: string;
  accessKeyId: string;
  userId: string;
}

/**
 * The event API Gateway's Lambda proxy integration (REST API, payload 1.0) sends for a request: `resource` is the
 * route's path pattern, and on an AWS_IAM route the identity names the signed caller.
 */
export function toApiGatewayEvent(
  request: HttpRequest,
  stage = 'prod',
  route: { resource?: string; caller?: SignedCaller } = {},
): APIGatewayProxyEvent {
  const resource = route.resource ?? '/{proxy+}';
  const caller = route.caller;
  const headers = request.headers ?? {};
  return {
    resource,
    path: request.path,
    httpMethod: request.method.toUpperCase(),
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: request.query && Object.keys(request.query).length ? request.query : null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: request.path.replace(/^\//, '') },
    stageVariables: null,
    body: request.body ?? null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: request.method.toUpperCase(),
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
        ...(caller
          ? { userArn: caller.arn, caller: caller.userId, user: caller.userId, accessKey: caller.accessKeyId, accountId: caller.arn.split(':')[4] }
          : {}),
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${request.path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
}
