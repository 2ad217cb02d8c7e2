import { repeatedKey } from '../../lambdas/shared/domain/strict-json';

test('names the first key given twice in one object, at any depth', () => {
  expect(repeatedKey('{"decision":"reject","decision":"approve"}')).toBe('decision');
  expect(repeatedKey('{"a":[1,{"b":1,"c":{},"b":2}]}')).toBe('b');
  expect(repeatedKey('{ "d\\u0065cision" : 1 , "decision" : 2 }')).toBe('decision');
});

test('accepts the same key in different objects, and keys, commas and braces inside strings', () => {
  for (const text of [
    '{"a":{"b":1},"b":2}',
    '{"x":[{"a":1},{"a":2}],"a":3}',
    '{"a":"\\"a\\":{,","b":["a","a"]}',
    '{}',
    '[]',
    '"a"',
    '{"":1,"a":""}',
  ]) {
    expect(repeatedKey(text)).toBeUndefined();
  }
});
