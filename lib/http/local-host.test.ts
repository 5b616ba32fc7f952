import { isLocalUrl } from './local-host';

describe('isLocalUrl', () => {
  it.each([
    ['http://127.0.0.1:8787/v1', true],
    ['http://localhost:8787', true],
    ['http://127.1.2.3:9000', true],
    ['http://[::1]:8787/v1', true],
    ['http://0.0.0.0:8787', true],
    ['https://api.openai.com/v1', false],
    ['http://10.0.0.5:8787', false],
    ['http://localhost.example.com', false],
    ['http://[::2]:8787', false],
  ])('%s: %s', (url, expected) => {
    // Act
    const local = isLocalUrl(url);

    // Assess
    expect(local).toBe(expected);
  });
});
