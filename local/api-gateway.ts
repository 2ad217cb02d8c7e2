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

/** The event API Gateway's Lambda proxy integration (REST API, payload 1.0) sends for a request. */
export function toApiGatewayEvent(request: HttpRequest, stage = 'prod'): APIGatewayProxyEvent {
  const headers = request.headers ?? {};
  return {
    resource: '/{proxy+}',
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
      identity: { sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? null } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${request.path}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}
