import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from '../../runtime/tracer';

/**
 * Created once per container, traced; only the functions that complete tasks or describe runs import it. X-Ray keeps
 * no Step Functions request parameters (its SDK records parameters for a few services only), so no task token.
 */
export const stepFunctions = tracer.captureAWSv3Client(new SFNClient({}));

// For the functions that load this module on first use (`await import`): a static import of the SDK would load it at once.
export { DescribeExecutionCommand, SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
