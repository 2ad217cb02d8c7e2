import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** Created once per container; only the functions that put events import it. */
export const eventBridge = new EventBridgeClient({});
