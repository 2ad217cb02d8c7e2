import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tracer } from '../../runtime/tracer';

/** Created once per container, traced; X-Ray records neither the request's parameters nor the secret's value. */
export const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));

/** Reads secrets through the traced client, keeping each for the maxAge a read asks. */
export const secretsProvider = new SecretsProvider({ awsSdkV3Client: secretsManager });
