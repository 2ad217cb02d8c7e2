import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';
import { tracer } from '../../runtime/tracer';

/**
 * Created once per container, traced. Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_*), which is
 * how local mode points clients at itself.
 */
export const serviceCatalog = tracer.captureAWSv3Client(new ServiceCatalogClient({}));
