import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { AccountHealth } from '../../lib/routing/health';
import type { Reply } from '../fakes/openai';
import { openAIPoolForSuite } from './pool-rig';

/**
 * A whole answer is read inside its attempt (`readAhead`): a 200 whose JSON body is empty is a
 * broken answer, not the caller's, so the call fails over to the pool's other account and the
 * empty one rests, as one that broke off would; with no account left, the client gets a 502
 * `upstream_bad_response` in its API's error shape. Each account is its own fake; whichever the
 * pool tries first gets the empty answer (the pool's order is weighted at random).
 */
const EMPTY: Reply = { kind: 'raw', status: 200, headers: { 'content-type': 'application/json' }, body: [] };

const health = new AccountHealth();

const pool = openAIPoolForSuite({
  config: {
    models: [
      { name: 'chat', targets: [{ provider: 'pool', model: 'gpt-4o-mini' }] },
      { name: 'embed', targets: [{ provider: 'pool', model: 'text-embedding-3-small' }] },
      { name: 'instruct', targets: [{ provider: 'pool', model: 'gpt-3.5-turbo-instruct' }] },
      { name: 'moderate', targets: [{ provider: 'pool', model: 'omni-moderation-latest' }] },
    ],
    routing: { sticky: false },
  },
  gateway: { health },
  key: { name: 'empty-answer' },
});

/** Each surface's call through `openai`, and what of its answer shows it is the real one; its x-request-id. */
const SURFACES: [string, () => Promise<{ answered: unknown; requestId: string | null }>, unknown][] = [
  [
    'chat completions',
    async () => {
      const { data, response } = await pool.client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hi.' }] }).withResponse();
      return { answered: data.choices[0]?.message.content, requestId: response.headers.get('x-request-id') };
    },
    expect.any(String),
  ],
  [
    'embeddings',
    async () => {
      const { data, response } = await pool.client.embeddings.create({ model: 'embed', input: 'an empty body is no vector' }).withResponse();
      return { answered: data.data[0]?.embedding.length, requestId: response.headers.get('x-request-id') };
    },
    expect.any(Number),
  ],
  [
    'text completions',
    async () => {
      const { data, response } = await pool.client.completions.create({ model: 'instruct', prompt: 'def add(a, b):' }).withResponse();
      return { answered: data.choices[0]?.text, requestId: response.headers.get('x-request-id') };
    },
    expect.any(String),
  ],
  [
    'responses',
    async () => {
      const { data, response } = await pool.client.responses.create({ model: 'chat', input: 'Say hi.', store: false }).withResponse();
      return { answered: data.output_text, requestId: response.headers.get('x-request-id') };
    },
    expect.any(String),
  ],
  [
    'moderations',
    async () => {
      const { data, response } = await pool.client.moderations.create({ model: 'moderate', input: 'a kind sentence' }).withResponse();
      return { answered: data.results[0]?.flagged, requestId: response.headers.get('x-request-id') };
    },
    expect.any(Boolean),
  ],
];

describe('a whole answer that is an empty 200', () => {
  it.each(SURFACES)('%s: fails over to the other account, whose answer the client gets, and rests the empty one', async (_surface, call, expected) => {
    // Prepare
    const calls = pool.firstCallGets(EMPTY);

    // Act
    const { answered, requestId } = await call();

    // Assess
    expect(answered).toEqual(expected);
    expect(calls.fake(calls.first()).requests).toHaveLength(1);
    expect(calls.fake(calls.other()).requests).toHaveLength(1);
    expect(health.isCooling(`pool/${calls.first()}`)).toBe(true);
    expect(health.isCooling(`pool/${calls.other()}`)).toBe(false);
    expect(await pool.recordOf(requestId)).toMatchObject({ provider: 'pool', account: calls.other(), attempts: 2, status: 200, outcome: 'ok' });
  });

  it.each(SURFACES)('%s: answers 502 upstream_bad_response in OpenAI\'s shape when every account answers empty, each rested', async (_surface, call) => {
    // Prepare
    pool.one.reply(EMPTY);
    pool.two.reply(EMPTY);

    // Act
    const err = (await call().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;

    // Assess
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err).toMatchObject({ status: 502, code: 'upstream_bad_response', type: 'api_error', message: expect.stringContaining('answered with an empty body') });
    expect(health.isCooling('pool/one')).toBe(true);
    expect(health.isCooling('pool/two')).toBe(true);
    expect(await pool.recordOf(err.requestID)).toMatchObject({ attempts: 2, status: 502, errorCode: 'upstream_bad_response' });
  });

  it('answers Anthropic\'s Messages API a 502 in Anthropic\'s shape, not a parse error, when every account answers empty', async () => {
    // Prepare
    pool.one.reply(EMPTY);
    pool.two.reply(EMPTY);
    const anthropic = new Anthropic({ apiKey: pool.key, baseURL: pool.gw.url, maxRetries: 0 });

    // Act
    const err = await anthropic.messages.create({ model: 'chat', max_tokens: 16, messages: [{ role: 'user', content: 'Say hi.' }] }).catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err).toMatchObject({ status: 502, error: { type: 'error', error: { type: 'api_error' } } });
    expect(health.isCooling('pool/one')).toBe(true);
    expect(health.isCooling('pool/two')).toBe(true);
  });
});
