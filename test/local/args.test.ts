import { parseArgs, usage } from '../../local/args';

/** `--service-catalog-tps N`: Service Catalog's rate per API in local mode and the demo. */
test('--service-catalog-tps takes requests per second above 0; without it nothing is throttled', () => {
  expect(parseArgs(['--service-catalog-tps', '10']).serviceCatalogTps).toBe(10);
  expect(parseArgs(['--service-catalog-tps', '0.5'], 'demo').serviceCatalogTps).toBe(0.5);
  expect(parseArgs([]).serviceCatalogTps).toBeUndefined();
  for (const bad of ['0', '-1', 'ten', '', 'Infinity']) {
    expect(() => parseArgs([`--service-catalog-tps=${bad}`])).toThrow(
      `--service-catalog-tps must be a number of requests per second above 0, such as 10 (got ${bad})`,
    );
  }
  expect(() => parseArgs(['--service-catalog-tps'])).toThrow('--service-catalog-tps needs a value');
  expect(usage('local')).toContain('--service-catalog-tps N  Throttle each Service Catalog API above N requests per second');
});
