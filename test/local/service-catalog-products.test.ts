import { type AwsApiError, ServiceCatalogEmulator } from '../../local/service-catalog';
import { ordersServicePlan } from '../fixtures/plans';

/** DescribeProductAsAdmin in the Service Catalog emulator: the names a registered plan's product and version carry. */
const errorOf = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    return error as AwsApiError;
  }
  return undefined;
};

test('answers a registered product’s name and its versions’ names, by the product id the plan names', () => {
  const catalog = new ServiceCatalogEmulator();
  const planId = catalog.registerPlan({
    ...ordersServicePlan('plan-named00001'),
    product: { Name: 'Orders service', ProvisioningArtifactName: 'v2.4.0' },
  });
  const { ProductId, ProvisioningArtifactId } = (
    catalog.handle('DescribeProvisionedProductPlan', { PlanId: planId }) as { ProvisionedProductPlanDetails: Record<string, string> }
  ).ProvisionedProductPlanDetails;
  expect(catalog.handle('DescribeProductAsAdmin', { Id: ProductId, AcceptLanguage: 'en' })).toMatchObject({
    ProductViewDetail: { ProductViewSummary: { ProductId, Name: 'Orders service' }, Status: 'CREATED' },
    ProvisioningArtifactSummaries: [{ Id: ProvisioningArtifactId, Name: 'v2.4.0' }],
  });
});

test('refuses as Service Catalog does: an unknown product, a missing or malformed id, an unsupported language', () => {
  const catalog = new ServiceCatalogEmulator();
  catalog.registerPlan(ordersServicePlan('plan-unnamed0001'));
  expect(errorOf(() => catalog.handle('DescribeProductAsAdmin', { Id: 'prod-nothere' }))).toMatchObject({ type: 'ResourceNotFoundException' });
  expect(errorOf(() => catalog.handle('DescribeProductAsAdmin', {}))).toMatchObject({
    type: 'InvalidParametersException',
    message: 'Id is required',
  });
  expect(errorOf(() => catalog.handle('DescribeProductAsAdmin', { Id: '../x' }))).toMatchObject({ type: 'InvalidParametersException' });
  expect(errorOf(() => catalog.handle('DescribeProductAsAdmin', { Id: 'prod-x', AcceptLanguage: 'fr' }))).toMatchObject({
    type: 'InvalidParametersException',
  });
});
