import { PublishCommand } from '@aws-sdk/client-sns';
import { sns } from './clients/sns';

/**
 * An email to one approver: published to the approval topic with the `approver` attribute, which each approver's
 * subscription filters on, so it reaches that person only (a personal link must never reach anyone else).
 */
export async function emailApprover(topicArn: string, approverEmail: string, message: { subject: string; body: string }): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: message.subject,
      Message: message.body,
      MessageAttributes: { approver: { DataType: 'String', StringValue: approverEmail } },
    }),
  );
}
