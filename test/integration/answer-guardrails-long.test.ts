/**
 * Secrets longer than the stream window, end to end: a 900-character JWT (known only once its
 * signature comes, 640 bytes after its start) and a 3 KB PEM key, streamed by fake upstreams in
 * small deltas, through the gateway as `npm start` runs it, to the official OpenAI and Anthropic
 * clients. Held from their start while they may still become a match, they reach the clients
 * redacted: not one slice of the secret is in the bytes the clients got.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { fakeChars } from '../../lib/guardrails/fake-tokens';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startHarness, type Harness } from './harness';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const JWT = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${fakeChars(600, 60, BASE64URL)}.${fakeChars(260, 61, BASE64URL)}`;
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${Array.from({ length: 47 }, (_, i) => fakeChars(64, 70 + i, `${BASE64URL.slice(0, 62)}+/`)).join('\n')}\n-----END RSA PRIVATE KEY-----`;
const SECRETS = { jwt: JWT, 'private-key': PEM } as const;

let h: Harness;
let anthropic: FakeAnthropic;
let key: string;
/** The bytes each client's fetch got, whole. */
let received: Promise<string>[];

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-upstream' });
  h = await startHarness({
    credentials: { ANT_KEY: 'sk-ant-upstream' },
    config: (urls) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'c', apiKey: { env: 'ANT_KEY' } }] },
      ],
      models: [
        { name: 'gpt-4o-mini', targets: [{ provider: 'primary', model: 'gpt-4o-mini' }] },
        { name: 'claude-sonnet-4-6', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
      ],
      // The default window (512 bytes): both secrets are longer, and the JWT is known only 640 bytes after it starts.
      guardrails: { on: ['response'], rules: [{ detect: 'jwt', action: 'redact' }, { detect: 'private-key', action: 'redact' }] },
    }),
  });
  ({ key } = await h.createKey({ name: 'agent', models: ['*'] }));
});
afterAll(async () => {
  await h.close();
  await anthropic.close();
});
beforeEach(() => {
  h.upstream.reset();
  anthropic.reset();
  received = [];
});

const recording: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  received.push(res.clone().text());
  return res;
};
const openai = () => new OpenAI({ apiKey: key, baseURL: `${h.gw.url}/v1`, maxRetries: 0, timeout: 20_000, fetch: recording });
const claude = () => new Anthropic({ apiKey: key, baseURL: h.gw.url, maxRetries: 0, timeout: 20_000, fetch: recording });

/** The text around the secret, cut into deltas of `size` characters as a model streams them. */
const streamed = (secret: string, size: number) => {
  const text = `Here it is:\n${secret}\nKeep it safe.`;
  return { text, chunks: text.match(new RegExp(`[^]{1,${size}}`, 'g'))! };
};

/** Every 8-character slice of the secret (as JSON escapes it): none may be in what the client got. */
function expectNoSliceOf(secret: string, bytes: string): void {
  const escaped = JSON.stringify(secret).slice(1, -1);
  const leaked: string[] = [];
  for (let at = 0; at + 8 <= escaped.length; at++) if (bytes.includes(escaped.slice(at, at + 8))) leaked.push(escaped.slice(at, at + 8));
  expect(leaked).toEqual([]);
}

describe.each(Object.entries(SECRETS))('%s, longer than the window, streamed in small deltas', (rule, secret) => {
  it.each([3, 7])('reaches the OpenAI client redacted, none of it sent (%i-character deltas)', async (size) => {
    const { text, chunks } = streamed(secret, size);
    h.upstream.reply({ kind: 'text', text, chunks });

    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the key?' }], stream: true });
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? '';

    expect(got).toBe(`Here it is:\n[REDACTED:${rule}]\nKeep it safe.`);
    const bytes = await received[0]!;
    expect(bytes).toContain('data: [DONE]');
    expectNoSliceOf(secret, bytes);
  });

  it.each([1, 7])('reaches the Anthropic client redacted, none of it sent (%i-character deltas)', async (size) => {
    const { text, chunks } = streamed(secret, size);
    anthropic.reply(() => ({ kind: 'text', text, chunks, usage: { input: 5, output: 900 } }));

    const message = await claude().messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 2000, messages: [{ role: 'user', content: 'the key?' }] }).finalMessage();

    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: `Here it is:\n[REDACTED:${rule}]\nKeep it safe.` })]);
    expectNoSliceOf(secret, await received[0]!);
  });
});
