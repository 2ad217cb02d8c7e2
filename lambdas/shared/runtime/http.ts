import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** A JSON answer through API Gateway's proxy integration; never cached, as it names a plan and who decided it. */
export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** The caller API Gateway authenticated with SigV4 (AWS_IAM authorization); absent on any other route. */
export const signedCaller = (event: Pick<APIGatewayProxyEvent, 'requestContext'>): string | undefined =>
  event.requestContext?.identity?.userArn ?? undefined;
