import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from '../../runtime/tracer';

/** Created once per container, traced; only the functions that put events import it. */
export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
