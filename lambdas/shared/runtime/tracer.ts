import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './service';

/**
 * X-Ray: the handler and every AWS SDK call (adapters/clients), as subsegments. Outside Lambda (tests, local mode)
 * it does nothing. Plain HTTP(S) requests are not captured: their URLs are Slack's webhook (a secret) and the
 * click's response_url. Responses are not captured either (see runtime/handler.ts).
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME, captureHTTPsRequests: false });
