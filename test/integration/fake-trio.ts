import type { GatewayConfigInput } from '../../lib/config/schema';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai';

/**
 * Fake OpenAI, Anthropic and Gemini upstreams on loopback, as the providers `up`, `ant` and `gem`
 * of a config (their keys in the credentials as UP, ANT and GEM): the three dialects a feature
 * test routes one model of each to.
 */
export interface FakeTrio {
  openai: FakeOpenAI;
  anthropic: FakeAnthropic;
  gemini: FakeGemini;
  providers: NonNullable<GatewayConfigInput['providers']>;
  credentials: Record<string, string>;
  /** Clears every fake's calls and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeTrio(): Promise<FakeTrio> {
  const credentials = { UP: 'sk-up', ANT: 'sk-ant', GEM: 'AIza-up' };
  const openai = await startFakeOpenAI({ apiKey: credentials.UP });
  const anthropic = await startFakeAnthropic({ apiKey: credentials.ANT });
  const gemini = await startFakeGemini({ apiKey: credentials.GEM });
  return {
    openai,
    anthropic,
    gemini,
    providers: [
      { id: 'up', type: 'openai', baseUrl: openai.url, accounts: [{ id: 'a', apiKey: { env: 'UP' } }] },
      { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'a', apiKey: { env: 'ANT' } }] },
      { id: 'gem', type: 'gemini', baseUrl: gemini.url, accounts: [{ id: 'a', apiKey: { env: 'GEM' } }] },
    ],
    credentials,
    reset() {
      openai.reset();
      anthropic.reset();
      gemini.reset();
    },
    async close() {
      await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
    },
  };
}
