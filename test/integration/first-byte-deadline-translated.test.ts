import type { IncomingHttpHeaders } from 'node:http';
import type OpenAI from 'openai';
import { startFakeBedrock, defaultReply as bedrockDefault, type FakeBedrock } from '../fakes/bedrock';
import { defaultGeminiReply, startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { eventually, geminiClient, readGeminiStream, startHarness, type Harness } from './harness';

/**
 * `timeouts.firstByteMs` on the translated and native paths that do not speak OpenAI upstream:
 * Bedrock's ConverseStream (event-stream frames, no keep-alive: its first byte starts it) and
 * translated embeddings (read in a fan-out inside the attempt), and Gemini's own SSE stream to the
 * official `@google/genai` client. Each pool has two accounts on one fake, told apart by a header;
 * whichever the pool tries first sends its headers and then nothing, and the other answers within
 * about the deadline.
 */
const FIRST_BYTE_MS = 400;
const IDLE_MS = 10_000;
const FAILOVER_BOUND_MS = FIRST_BYTE_MS + 2_500;
const AWS = { accessKeyId: 'AKIDDEADLINE', secretAccessKey: 'deadline-secret', region: 'eu-west-1' };
const GEMINI_KEY = 'AIza-deadline-test';
const ACCOUNT = 'x-pool-account';
const pair = <A extends object>(account: A) => [
  { id: 'one', headers: { [ACCOUNT]: 'one' }, ...account },
  { id: 'two', headers: { [ACCOUNT]: 'two' }, ...account },
];

let h: Harness;
let bedrock: FakeBedrock;
let gemini: FakeGemini;
let client: OpenAI;
let key: string;
let keyId: string;

beforeAll(async () => {
  [bedrock, gemini] = await Promise.all([startFakeBedrock(AWS), startFakeGemini({ apiKey: GEMINI_KEY })]);
  h = await startHarness({
    config: () => ({
      providers: [
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: bedrock.url, accounts: pair({ awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }) },
        { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: pair({ apiKey: { env: 'GEMINI_KEY' } }) },
      ],
      models: [
        { name: 'claude-on-bedrock', targets: [{ provider: 'aws', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0' }] },
        { name: 'titan', targets: [{ provider: 'aws', model: 'amazon.titan-embed-text-v2:0' }] },
        { name: 'gemini-2.5-flash', targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }] },
      ],
      timeouts: { headersMs: IDLE_MS, idleMs: IDLE_MS, firstByteMs: FIRST_BYTE_MS },
      routing: { sticky: false },
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey, GEMINI_KEY },
  });
  ({ key, id: keyId } = await h.createKey({ name: 'first-byte-deadline-translated', models: ['*'] }));
  client = h.openai({ apiKey: key });
});
afterAll(async () => {
  await h.close();
  await Promise.all([bedrock.close(), gemini.close()]);
});
beforeEach(() => {
  bedrock.reset();
  gemini.reset();
  h.health.clear();
});

/** Gives the first request that reaches `fake`, whichever account sent it, `silent`, and every later one `usual`; says which account that was. */
function firstAccountSilent<Req extends { headers: IncomingHttpHeaders }, R>(fake: { reply(responder: (req: Req) => R): void }, silent: R, usual: (req: Req) => R): () => string {
  let first: string | undefined;
  fake.reply((req) => {
    if (first !== undefined) return usual(req);
    first = String(req.headers[ACCOUNT]);
    return silent;
  });
  return () => first!;
}

const other = (account: string) => (account === 'one' ? 'two' : 'one');

describe.each<[string, string, string, () => () => string, () => Promise<unknown>, unknown]>([
  [
    'a Bedrock ConverseStream, to the OpenAI client',
    'claude-on-bedrock',
    'aws',
    () => firstAccountSilent(bedrock, { kind: 'hang-after-headers' }, bedrockDefault),
    async () => {
      let text = '';
      for await (const chunk of await client.chat.completions.create({ model: 'claude-on-bedrock', messages: [{ role: 'user', content: 'Say hi.' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    },
    'Echo: Say hi.',
  ],
  [
    "Gemini's own stream, to @google/genai",
    'gemini-2.5-flash',
    'gem',
    () => firstAccountSilent(gemini, { kind: 'raw', status: 200, headers: { 'content-type': 'text/event-stream' }, body: ['data: {}\n\n'], delayMs: IDLE_MS }, defaultGeminiReply),
    async () => (await readGeminiStream(await geminiClient(h.gw, key).models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Say hi.' }))).text,
    'Echo: Say hi.',
  ],
])('%s', (_what, model, provider, silenceFirst, call, expected) => {
  it('fails over from the account that sent its headers and then nothing, within about the deadline', async () => {
    // Prepare
    const first = silenceFirst();

    // Act
    const start = performance.now();
    const got = await call();
    const tookMs = performance.now() - start;

    // Assess
    expect(got).toEqual(expected);
    expect(tookMs).toBeGreaterThanOrEqual(FIRST_BYTE_MS - 20);
    expect(tookMs).toBeLessThan(FAILOVER_BOUND_MS);
    const fake = provider === 'aws' ? bedrock : gemini;
    await eventually(() => expect(fake.closedEarly.map((r) => r.headers[ACCOUNT])).toEqual([first()]));
    expect(h.health.isCooling(`${provider}/${first()}`)).toBe(true);
    await eventually(async () => expect((await h.usage(keyId)).filter((u) => u.model === model).at(-1)).toMatchObject({ account: other(first()), attempts: 2, status: 200 }));
  });
});
