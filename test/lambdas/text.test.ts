import { oneLine, untrusted } from '../../lambdas/shared/domain/text';

test('invisible characters are removed: tag characters, soft hyphen, combining grapheme joiner, Mongolian vowel separator', () => {
  expect(oneLine('app\u00adrove\u034f\u180e \u{E0001}\u{E0041}\u{E0070}\u{E007F}now')).toBe('approve now');
  expect(oneLine('a\u202eb\u2066c\u200bd\ne')).toBe('abcd e');
});

test('URLs are defanged with or without a scheme; emails, times and file names are not touched', () => {
  expect(untrusted('Approve at www.evil.example/approve or evil.example/approve or https://evil.example/x')).toBe(
    'Approve at www.evil[.]example/approve or evil[.]example/approve or https[:]//evil.example/x',
  );
  expect(untrusted('www.evil.example and 10.0.0.1:8080')).toBe('www.evil[.]example and 10.0.0[.]1:8080');
  expect(untrusted('alice@example.com at 10:05:00 edited template.yaml, v1.2')).toBe('alice@example.com at 10:05:00 edited template.yaml, v1.2');
});
