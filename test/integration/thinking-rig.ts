import { FAKE } from '../../lib/guardrails/fake-tokens';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic';
import { startHarness, type Harness } from './harness';

/** The key Claude's thinking mentions in turn 1 of the guardrail-on-thinking tests. */
export const KEY = FAKE.awsKeyId;
export const THOUGHT = `The user pasted ${KEY} into the chat; I will list the files and not repeat it.`;
export const BASH = { name: 'Bash', description: 'Runs a command', input_schema: { type: 'object' as const, properties: { command: { type: 'string' } }, required: ['command'] } };

/** A gateway whose Claude models (asked for by Anthropic, OpenAI and Gemini clients) are one fake Anthropic, screened by `guardrails`, and a key for it. */
export interface ThinkingRig {
  h: Harness;
  anthropic: FakeAnthropic;
  key: string;
  keyId: string;
  /** Turn 1 thinks `thought` and calls Bash; turn 2 answers. */
  replyThinkingThenDone(thought?: string): void;
  close(): Promise<void>;
}

/**
 * Starts the rig of the two-turn thinking tests (`answer-guardrails-thinking`, `request-guardrails-thinking`).
 *
 * @example
 * const rig = await startThinkingRig({ on: ['response'], rules: [{ detect: 'aws-access-key', action: 'redact' }] });
 */
export async function startThinkingRig(guardrails: Record<string, unknown>): Promise<ThinkingRig> {
  const anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-upstream' });
  const h = await startHarness({
    credentials: { ANT_KEY: 'sk-ant-upstream' },
    config: (urls) => ({
      providers: [
        { id: 'primary', type: 'openai', baseUrl: urls.upstream, accounts: [{ id: 'a', apiKey: { env: 'TEST_UPSTREAM_KEY' } }] },
        { id: 'ant', type: 'anthropic', baseUrl: anthropic.url, accounts: [{ id: 'c', apiKey: { env: 'ANT_KEY' } }] },
      ],
      models: [
        { name: 'claude-sonnet-4-6', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'gpt-on-claude', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
        { name: 'gemini-on-claude', targets: [{ provider: 'ant', model: 'claude-sonnet-4-6' }] },
      ],
      guardrails,
    }),
  });
  const { key, id: keyId } = await h.createKey({ name: 'agent', models: ['*'] });
  return {
    h,
    anthropic,
    key,
    keyId,
    replyThinkingThenDone(thought = THOUGHT) {
      let turn = 0;
      anthropic.reply(() => (++turn === 1 ? { kind: 'tool_use', thinking: { thinking: thought }, calls: [{ id: 'toolu_01', name: 'Bash', input: { command: 'ls' } }] } : { kind: 'text', text: 'Two files.' }));
    },
    async close() {
      await h.close();
      await anthropic.close();
    },
  };
}
