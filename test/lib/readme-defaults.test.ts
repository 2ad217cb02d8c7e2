import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ALARM_THRESHOLDS, DEFAULTS, defaultReminderMinutes } from '../../lib/defaults';

/** The README states each default a deployer reads; they must be the ones lib/defaults.ts applies. */
const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The rows of the markdown table under `heading`, as cells. */
function tableRows(heading: string): string[][] {
  const section = readme.slice(readme.indexOf(`${heading}\n`));
  const lines = section.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const table = lines.slice(
    first,
    lines.findIndex((line, i) => i > first && !line.startsWith('|')),
  );
  return table.slice(2).map((row) =>
    row
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim()),
  );
}

/** A cell holding one backticked value, as a value: JSON when it parses, the text otherwise. */
function literal(cell: string): unknown {
  const text = /^`([^`]+)`$/.exec(cell)?.[1];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const configuration = new Map(tableRows('## Configuration').map(([key, defaultCell]) => [key!.replace(/^`plangate:|`$/g, ''), defaultCell!]));

test.each(Object.entries(DEFAULTS))('the configuration table states plangate:%s’s default', (key, value) => {
  expect(configuration.has(key)).toBe(true);
  expect(literal(configuration.get(key)!)).toEqual(value);
});

test('the configuration table states no default of a single value that lib/defaults.ts does not apply', () => {
  const stated = [...configuration].filter(([, cell]) => literal(cell) !== undefined).map(([key]) => key);
  expect(stated.sort()).toEqual(Object.keys(DEFAULTS).sort());
});

test('the configuration table states the reminder’s default', () => {
  expect(configuration.get('reminderMinutesBeforeExpiry')).toMatch(
    new RegExp(`^\`${defaultReminderMinutes(DEFAULTS.approvalTimeoutMinutes)}\`, or a quarter of the timeout if shorter$`),
  );
});

test('the alarms table states every threshold’s default', () => {
  const stated = Object.fromEntries(
    tableRows('### Alarms').flatMap(([, , thresholdCell]) => {
      const match = /^`(\w+)` \((\d+)\)$/.exec(thresholdCell!);
      return match ? [[match[1]!, Number(match[2])]] : [];
    }),
  );
  expect(stated).toEqual(DEFAULT_ALARM_THRESHOLDS);
});
