import { ServiceCatalogClient } from '@aws-sdk/client-service-catalog';

/** Created once per container. Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL_*), which is how local mode points clients at itself. */
export const serviceCatalog = new ServiceCatalogClient({});
