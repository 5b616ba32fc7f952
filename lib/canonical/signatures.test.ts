import { familyOfProvider, isOwnSignature, looksLikeOpenAIEncrypted, markSignature, readMark } from './signatures';

describe('familyOfProvider', () => {
  it.each([
    ['anthropic', 'claude'],
    ['bedrock', 'claude'],
    ['gemini', 'gemini'],
    ['openai', 'openai'],
    ['azure-openai', 'openai'],
    ['openai-compatible', undefined],
  ])('says a %s target reads %s signatures', (type, family) => {
    expect(familyOfProvider(type)).toBe(family);
  });
});

describe('markSignature and readMark', () => {
  it.each([
    ['claude', 'EqQBCkYIAxgCIkB=='],
    ['gemini', 'CiQB0e2K/+=='],
    ['openai', 'gAAAAABo'],
    ['claude', ''],
  ] as const)('reads back the %s signature %j it marked', (family, value) => {
    expect(readMark(markSignature(family, value))).toEqual({ family, value });
  });

  it.each([
    ['an unmarked signature', 'EqQBCkYIAxgCIkB=='],
    ['a mark of a family no version wrote', 'aigw1:mistral:abc'],
    ['a mark without its family', 'aigw1:'],
    ['another version', 'aigw2:claude:abc'],
  ])('reads no mark in %s', (_name, value) => {
    expect(readMark(value)).toBeUndefined();
  });
});

describe('isOwnSignature', () => {
  it.each([
    ['claude', 'claude', true],
    ['gemini', 'claude', false],
    ['openai', 'claude', false],
    ['claude', 'gemini', false],
    [undefined, 'claude', true],
    [undefined, 'gemini', true],
  ] as const)('a signature by %s goes to %s: %s', (signedBy, family, expected) => {
    expect(isOwnSignature(signedBy, family)).toBe(expected);
  });
});

describe('looksLikeOpenAIEncrypted', () => {
  it.each([
    ['gAAAAABoXq1…', true],
    ['EqQBCkYIAxgCIkB', false],
    ['CiQB0e2K', false],
    ['aigw1:claude:gAAAAA', false],
  ])('%j: %s', (value, expected) => {
    expect(looksLikeOpenAIEncrypted(value)).toBe(expected);
  });
});
