import type { StreamEvent } from '../canonical/types';
import { cutOffUsage, relayedOutput } from './cut-off';
import { NO_TOKENS, type TokenUsage } from './tokens';

const tokens = (over: Partial<TokenUsage>): TokenUsage => ({ ...NO_TOKENS, ...over });

describe('cutOffUsage', () => {
  it.each<{ name: string; reported: TokenUsage | undefined; chars: number; prompt: number; usage: TokenUsage; estimated: boolean }>([
    {
      name: 'raises Anthropic’s early output count (message_start’s 1) to what was relayed, keeping its prompt and cache counts',
      reported: tokens({ input: 900, output: 1, cacheRead: 800 }),
      chars: 340,
      prompt: 5,
      usage: tokens({ input: 900, output: 100, cacheRead: 800 }),
      estimated: true,
    },
    { name: 'estimates both sides when nothing was reported (OpenAI counts at the end)', reported: undefined, chars: 34, prompt: 250, usage: tokens({ input: 250, output: 10 }), estimated: true },
    { name: 'keeps a provider count higher than the relayed text (reasoning it did not show)', reported: tokens({ input: 10, output: 500, reasoning: 480 }), chars: 34, prompt: 5, usage: tokens({ input: 10, output: 500, reasoning: 480 }), estimated: false },
    { name: 'counts the prompt alone when the cut came before any output', reported: undefined, chars: 0, prompt: 42, usage: tokens({ input: 42 }), estimated: true },
    { name: 'leaves nothing when nothing is known (no prompt estimate, no output)', reported: undefined, chars: 0, prompt: 0, usage: tokens({}), estimated: false },
  ])('$name', ({ reported, chars, prompt, usage, estimated }) => {
    expect(cutOffUsage(reported, chars, () => prompt)).toEqual({ usage, estimated });
  });

  it('asks for the prompt estimate only when the upstream did not count the prompt', () => {
    const prompt = jest.fn(() => 7);

    cutOffUsage(tokens({ input: 3 }), 10, prompt);

    expect(prompt).not.toHaveBeenCalled();
  });

  it('does not change the reported usage it was given', () => {
    const reported = tokens({ input: 3, output: 1 });

    cutOffUsage(reported, 3400, () => 0);

    expect(reported).toEqual(tokens({ input: 3, output: 1 }));
  });
});

describe('relayedOutput', () => {
  it.each([
    [{ type: 'text_delta', text: 'Hello' }, { chars: 5, token: true }],
    [{ type: 'thinking_delta', text: 'Hmm' }, { chars: 3, token: true }],
    [{ type: 'tool_call_start', toolIndex: 0, id: 't', name: 'weather' }, { chars: 7, token: true }],
    [{ type: 'tool_call_delta', toolIndex: 0, arguments: '{"a":1}' }, { chars: 7, token: false }],
    [{ type: 'start', id: 'x', model: 'm' }, undefined],
    [{ type: 'finish', reason: 'stop' }, undefined],
  ] as const)('reads %j as %j', (event, expected) => {
    expect(relayedOutput(event as StreamEvent)).toEqual(expected);
  });
});
