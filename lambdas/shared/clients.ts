import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * SDK clients, created once per container. Endpoints come from the SDK's own configuration
 * (e.g. AWS_ENDPOINT_URL_SERVICE_CATALOG), which is how local mode points them at its emulators.
 */
export const serviceCatalog = new ServiceCatalogClient({});
export const stepFunctions = new SFNClient({});
export const sns = new SNSClient({});
export const eventBridge = new EventBridgeClient({});
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
