import { SNSClient } from '@aws-sdk/client-sns';

/** Created once per container; only the functions that send email import it. */
export const sns = new SNSClient({});
