import OpenAI from 'openai';
import { startFakeBedrock, defaultReply as bedrockDefault, type FakeBedrock } from '../fakes/bedrock';
import { bedrockEmbedding } from '../fakes/bedrock-embeddings';
import { defaultGeminiReply, geminiEmbedding, startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { startFakeGoogleOAuth, testServiceAccount, type FakeGoogleOAuth } from '../fakes/google-oauth';
import { startFakeVertex, type FakeVertex } from '../fakes/vertex';
import { eventually, startHarness, type Harness } from './harness';

/**
 * Translated embeddings (Bedrock, Gemini, Vertex) and Bedrock rerank read their upstream answers
 * in a fan-out, not in `readAhead`: an empty JSON 200 there is the same broken answer, so the call
 * fails over to the pool's other account and the empty one rests, and with no account left the
 * client gets a 502 `upstream_bad_response` naming the empty body. Each pool has two accounts on
 * one fake, told apart by an account header; whichever the pool tries first gets the empty answer.
 */
const AWS = { accessKeyId: 'AKIDEMPTY', secretAccessKey: 'empty-secret', region: 'eu-west-1' };
const GEMINI_KEY = 'AIza-empty-test';
const PROJECT = 'aigw-empty-1234';
const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE_RERANK = 'cohere.rerank-v3-5:0';
/** Fits each fake's raw reply (`body` a list of pieces in all three). */
const EMPTY = { kind: 'raw' as const, status: 200, headers: { 'content-type': 'application/json' }, body: [] as string[] };
const ACCOUNT = 'x-pool-account';
const pair = <A extends object>(account: A) => [
  { id: 'one', headers: { [ACCOUNT]: 'one' }, ...account },
  { id: 'two', headers: { [ACCOUNT]: 'two' }, ...account },
];

let h: Harness;
let bedrock: FakeBedrock;
let gemini: FakeGemini;
let google: FakeGoogleOAuth;
let vertex: FakeVertex;
let client: OpenAI;
let key: string;
let keyId: string;

beforeAll(async () => {
  const sa = testServiceAccount(`aigw-gateway@${PROJECT}.iam.gserviceaccount.com`);
  google = await startFakeGoogleOAuth({ accounts: [sa] });
  [bedrock, gemini, vertex] = await Promise.all([startFakeBedrock(AWS), startFakeGemini({ apiKey: GEMINI_KEY }), startFakeVertex({ oauth: google, grants: { [PROJECT]: [sa.clientEmail] } })]);
  h = await startHarness({
    config: () => ({
      providers: [
        { id: 'aws', type: 'bedrock', region: AWS.region, baseUrl: bedrock.url, agentRuntimeBaseUrl: bedrock.url, accounts: pair({ awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }) },
        { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: pair({ apiKey: { env: 'GEMINI_KEY' } }) },
        { id: 'vtx', type: 'vertex', project: PROJECT, region: 'us-central1', baseUrl: vertex.url, accounts: pair({ serviceAccount: { env: 'SA' } }) },
      ],
      models: [
        { name: 'titan', targets: [{ provider: 'aws', model: TITAN }] },
        { name: 'gemini-embed', targets: [{ provider: 'gem', model: 'gemini-embedding-001' }] },
        { name: 'vertex-embed', targets: [{ provider: 'vtx', model: 'text-embedding-005' }] },
        { name: 'rerank', price: { perRequest: 0.002 }, targets: [{ provider: 'aws', model: COHERE_RERANK }] },
      ],
      routing: { sticky: false },
    }),
    credentials: { AWS_ID: AWS.accessKeyId, AWS_SECRET: AWS.secretAccessKey, GEMINI_KEY, SA: sa.keyJson(google.tokenUri) },
  });
  ({ key, id: keyId } = await h.createKey({ name: 'empty-translated', models: ['*'] }));
  client = h.openai({ apiKey: key });
});
afterAll(async () => {
  await h.close();
  await Promise.all([bedrock.close(), gemini.close(), vertex.close(), google.close()]);
});
beforeEach(() => {
  for (const fake of [bedrock, gemini, vertex]) fake.reset();
  h.health.clear();
});

const QUERY = 'What is the capital of France?';
const DOCUMENTS = ['Berlin is the capital of Germany.', 'Paris is the capital of France.'];

/** A rerank call as Cohere's clients make it (the `cohere-ai` client is not installed; see rerank.test.ts): the first result's index, or its error thrown. */
async function rerank(): Promise<{ status: number; body: { results?: { index: number }[]; error?: { code?: string; message?: string } } }> {
  const res = await fetch(`${h.gw.url}/v1/rerank`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'rerank', query: QUERY, documents: DOCUMENTS }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json()) as never };
}

type Fake = FakeBedrock | FakeGemini | FakeVertex;

/** Each translated operation: its provider, its fake, the fake's own answer, the call, and what of the answer shows it is the real one. */
const OPERATIONS: { name: string; provider: string; model: string; fake: () => Fake; real: (rec: never) => unknown; call: () => Promise<unknown>; answered: unknown }[] = [
  {
    name: 'embeddings on Bedrock (Titan)',
    provider: 'aws',
    model: 'titan',
    fake: () => bedrock,
    real: bedrockDefault,
    call: async () => Array.from((await client.embeddings.create({ model: 'titan', input: 'an empty body is no vector', encoding_format: 'float' })).data[0]!.embedding),
    answered: bedrockEmbedding(TITAN, 'an empty body is no vector'),
  },
  {
    name: 'embeddings on Gemini',
    provider: 'gem',
    model: 'gemini-embed',
    fake: () => gemini,
    real: defaultGeminiReply,
    call: async () => (await client.embeddings.create({ model: 'gemini-embed', input: 'an empty body is no vector', encoding_format: 'float' })).data[0]!.embedding.length,
    answered: geminiEmbedding('gemini-embedding-001', 'an empty body is no vector').length,
  },
  {
    name: 'embeddings on Vertex',
    provider: 'vtx',
    model: 'vertex-embed',
    fake: () => vertex,
    real: () => ({ kind: 'text', text: '' }),
    call: async () => (await client.embeddings.create({ model: 'vertex-embed', input: 'an empty body is no vector', encoding_format: 'float' })).data[0]!.embedding.length,
    answered: geminiEmbedding('text-embedding-005', 'an empty body is no vector').length,
  },
  {
    name: 'rerank on Bedrock (Cohere-shaped call)',
    provider: 'aws',
    model: 'rerank',
    fake: () => bedrock,
    real: bedrockDefault,
    call: async () => {
      const { status, body } = await rerank();
      if (status !== 200) throw { status, ...body.error };
      return body.results?.[0]?.index;
    },
    answered: 1,
  },
];

/** The pool account that sent the fake's `i`th request. */
const accountOf = (fake: Fake, i: number) => fake.requests[i]!.headers[ACCOUNT];

describe.each(OPERATIONS)('$name', ({ provider, model, fake, real, call, answered }) => {
  it("fails over from an account's empty JSON 200 to the pool's other account, which answers, and rests the empty one", async () => {
    // Prepare: the first call the pool sends, whichever account it goes to, is answered empty.
    let sent = 0;
    fake().reply(((rec: never) => (sent++ === 0 ? EMPTY : real(rec))) as never);

    // Act
    const result = await call();

    // Assess
    expect(result).toEqual(answered);
    expect(fake().requests).toHaveLength(2);
    const [empty, served] = [accountOf(fake(), 0), accountOf(fake(), 1)];
    expect(new Set([empty, served])).toEqual(new Set(['one', 'two']));
    expect(h.health.isCooling(`${provider}/${empty}`)).toBe(true);
    expect(h.health.isCooling(`${provider}/${served}`)).toBe(false);
    await eventually(async () => {
      expect((await h.usage(keyId)).find((u) => u.model === model && u.status === 200)).toMatchObject({ account: served, attempts: 2, outcome: 'ok' });
    });
  });

  it('answers 502 upstream_bad_response naming the empty body when every account answers empty, each tried once and resting', async () => {
    fake().reply(EMPTY as never);

    const error = await call().catch((e: unknown) => e);

    // An OpenAI.APIError from the embeddings client, Cohere's error body with its status from rerank.
    expect(error).toMatchObject({ status: 502, code: 'upstream_bad_response', message: expect.stringContaining('empty body') });
    expect(fake().requests.map((_, i) => accountOf(fake(), i)).sort()).toEqual(['one', 'two']);
    expect(h.health.isCooling(`${provider}/one`)).toBe(true);
    expect(h.health.isCooling(`${provider}/two`)).toBe(true);
  });
});

// Last: calls the fan-out stopped may still reach the fake after the test's end.
describe('embeddings on Bedrock in several calls (a fan-out)', () => {
  it('fails the whole batch over to the other account when one of its calls is answered empty, every vector in order', async () => {
    // Prepare: Titan embeds one text a call; the second call sent is answered empty.
    const input = Array.from({ length: 8 }, (_, i) => `chunk ${i}: an empty body is no vector`);
    let sent = 0;
    bedrock.reply((rec) => (sent++ === 1 ? EMPTY : bedrockDefault(rec)));

    // Act
    const res = await client.embeddings.create({ model: 'titan', input, encoding_format: 'float' });

    // Assess
    expect(res.data.map((d) => Array.from(d.embedding))).toEqual(input.map((t) => bedrockEmbedding(TITAN, t)));
    const empty = accountOf(bedrock, 1);
    const served = empty === 'one' ? 'two' : 'one';
    expect(bedrock.requests.filter((r) => r.headers[ACCOUNT] === served)).toHaveLength(input.length);
    expect(h.health.isCooling(`aws/${empty}`)).toBe(true);
    expect(h.health.isCooling(`aws/${served}`)).toBe(false);
  });
});
