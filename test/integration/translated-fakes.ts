import type { GatewayConfigInput } from '../../lib/config/schema';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeBedrock, type FakeBedrock } from '../fakes/bedrock';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { closedOnFailure } from './suite-start';

/** The secrets of the translated fakes, by the env names their providers read. */
export type TranslatedCredentials = { ANT: string; GEM: string; AWS_ID: string; AWS_SECRET: string };

/**
 * Fake Anthropic, Gemini and Bedrock (us-east-1) upstreams on loopback, the dialects the gateway
 * translates an OpenAI caller's request to, as the providers `ant`, `gem` and `aws` of a config
 * (their secrets in `credentials` as ANT, GEM, AWS_ID and AWS_SECRET). A suite spreads both into
 * its config beside its own OpenAI provider and routes its models to them.
 */
export interface TranslatedFakes {
  anthropic: FakeAnthropic;
  gemini: FakeGemini;
  bedrock: FakeBedrock;
  providers: NonNullable<GatewayConfigInput['providers']>;
  credentials: TranslatedCredentials;
  /** Clears every fake's calls and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the three fakes together; if one fails to start, those that came up are closed.
 *
 * @example
 * const translated = await startTranslatedFakes();
 * const h = await startHarness({
 *   credentials: translated.credentials,
 *   config: ({ upstream }) => ({
 *     providers: [{ id: 'primary', type: 'openai', baseUrl: upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] }, ...translated.providers],
 *     models: [{ name: 'sonnet', targets: [{ provider: 'ant', model: 'claude-sonnet-4-5' }] }],
 *   }),
 * });
 */
export async function startTranslatedFakes(): Promise<TranslatedFakes> {
  const credentials: TranslatedCredentials = { ANT: 'sk-ant', GEM: 'AIza-up', AWS_ID: 'AKIDTRANSLATED', AWS_SECRET: 'translated-secret' };
  const region = 'us-east-1';
  const [anthropic, gemini, bedrock] = await closedOnFailure((open) =>
    Promise.all([
      open(startFakeAnthropic({ apiKey: credentials.ANT })),
      open(startFakeGemini({ apiKey: credentials.GEM })),
      open(startFakeBedrock({ accessKeyId: credentials.AWS_ID, secretAccessKey: credentials.AWS_SECRET, region })),
    ]),
  );
  return {
    anthropic,
    gemini,
    bedrock,
    providers: [
      { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'a', apiKey: { env: 'ANT' } }] },
      { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'a', apiKey: { env: 'GEM' } }] },
      { id: 'aws', type: 'bedrock', region, baseUrl: bedrock.url, accounts: [{ id: 'a', awsCredentials: { accessKeyId: { env: 'AWS_ID' }, secretAccessKey: { env: 'AWS_SECRET' } } }] },
    ],
    credentials,
    reset() {
      anthropic.reset();
      gemini.reset();
      bedrock.reset();
    },
    async close() {
      await Promise.all([anthropic.close(), gemini.close(), bedrock.close()]);
    },
  };
}
