import { SNSClient } from '@aws-sdk/client-sns';
import { tracer } from '../../runtime/tracer';

/** Created once per container, traced; only the functions that send email import it. */
export const sns = tracer.captureAWSv3Client(new SNSClient({}));
