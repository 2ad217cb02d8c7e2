import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../../runtime/tracer';

/**
 * The DynamoDB document client, created once per container; undefined attributes are left out of items. The
 * document client shares the traced client's middleware, so its calls are traced too.
 */
export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});
