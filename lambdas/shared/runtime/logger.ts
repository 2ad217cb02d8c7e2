import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './service';

/** One structured JSON logger for every function. Events are never logged: they can carry task tokens. */
export const logger = new Logger({ serviceName: SERVICE_NAME });
