import type { GatewayConfigInput } from '../../lib/config/schema';
import type { FakeAnthropic } from '../fakes/anthropic';
import type { FakeBedrock } from '../fakes/bedrock';
import type { FakeGemini } from '../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';
import { closedOnFailure } from './suite-start';
import { startTranslatedFakes } from './translated-fakes';

/**
 * Fake OpenAI, Anthropic and Gemini upstreams on loopback, as the providers `up`, `ant` and `gem`
 * of a config (their keys in the credentials as UP, ANT and GEM): the three dialects a feature
 * test routes one model of each to. Bedrock comes with them (`startTranslatedFakes`), as provider
 * `aws` (AWS_ID and AWS_SECRET).
 */
export interface FakeTrio {
  openai: FakeOpenAI;
  anthropic: FakeAnthropic;
  gemini: FakeGemini;
  bedrock: FakeBedrock;
  providers: NonNullable<GatewayConfigInput['providers']>;
  credentials: Record<string, string>;
  /** Clears every fake's calls and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeTrio(): Promise<FakeTrio> {
  const UP = 'sk-up';
  const [openai, translated] = await closedOnFailure((open) => Promise.all([open(startFakeOpenAI({ apiKey: UP })), open(startTranslatedFakes())]));
  return {
    ...translated,
    openai,
    providers: [{ id: 'up', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] }, ...translated.providers],
    credentials: { UP, ...translated.credentials },
    reset() {
      openai.reset();
      translated.reset();
    },
    async close() {
      await Promise.all([openai.close(), translated.close()]);
    },
  };
}
