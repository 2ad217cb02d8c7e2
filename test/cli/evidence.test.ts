import { csvCell, parseWhen, toCsv } from '../../cli/evidence';

describe('evidence export: CSV', () => {
  test.each([
    ['=HYPERLINK("http://evil.example","click")', `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+1+cmd|calc', "'+1+cmd|calc"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tleading tab', "'\tleading tab"],
    ['\rleading return', `"'\rleading return"`],
  ])('a cell a spreadsheet would run as a formula is neutralised: %j', (cell, written) => {
    expect(csvCell(cell)).toBe(written);
  });

  test('other cells are written as RFC 4180 has them: quoted only for a comma, a quote or a line break', () => {
    expect(csvCell('alice@example.com (web) at 2026-12-02T10:00:00Z')).toBe('alice@example.com (web) at 2026-12-02T10:00:00Z');
    expect(csvCell('Rejected: "too big", sorry')).toBe('"Rejected: ""too big"", sorry"');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  test('rows end with CRLF; a header names the columns even when no run matches', () => {
    expect(toCsv([{ outcome: 'SUCCEEDED', reason: '=1+1' }])).toBe("outcome,reason\r\nSUCCEEDED,'=1+1\r\n");
    expect(toCsv([])).toMatch(/^endedAt,outcome,reason,account,region,planId,.*,run,evidenceKey,evidenceVersionId,sha256\r\n$/);
  });
});

describe('WHEN', () => {
  test('a date is its midnight UTC; a date-time is taken in UTC or at its offset', () => {
    expect(parseWhen('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseWhen('2026-12-01T08:30:00Z').toISOString()).toBe('2026-12-01T08:30:00.000Z');
    expect(parseWhen('2026-12-01T08:30:00+01:00').toISOString()).toBe('2026-12-01T07:30:00.000Z');
  });

  test.each(['yesterday', '2026-13-01', '2026-12-01T08:30:00', '12/01/2026'])('%j is refused', (value) => {
    expect(() => parseWhen(value)).toThrow(/ISO 8601 date or date-time/);
  });
});
