import { refusedByModel, responsesRefusedByModel } from '../../test/fakes/openai-wire';
import { fuzzer } from '../../test/fuzz';
import { GatewayError } from '../http/errors';
import { capabilitiesOf } from './capabilities';
import { mendBody, type MendSurface } from './mend';

const FIELDS = ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'logprobs', 'reasoning_effort', 'reasoning', 'stream', 'stop', 'include'];
const VALUES = [null, 0, 1, 0.2, 2, -1, 4096, true, false, 'none', 'low', 'high', '', { effort: 'low' }, { effort: 'none' }, { summary: 'auto' }, { effort: null }, ['END'], ['reasoning.encrypted_content'], ['message.output_text.logprobs', 'reasoning.encrypted_content']];

/** A body of random values in the fields mending reads, beside the messages it never touches. */
function randomBody(random: () => number, pick: <T>(xs: readonly T[]) => T): Record<string, unknown> {
  const body: Record<string, unknown> = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
  for (const field of FIELDS) if (random() < 0.4) body[field] = structuredClone(pick(VALUES));
  return body;
}

describe('mendBody, on random bodies', () => {
  // The fake upstream's own reading of what OpenAI refuses is the oracle: a mended body is one it takes.
  it.each<[MendSurface, string]>([
    ['openai', 'o3'],
    ['openai', 'gpt-5-mini'],
    ['openai', 'gpt-5.1'],
    ['openai', 'gpt-5.1-2025-11-13'],
    ['openai', 'ft:o4-mini-2025-04-16:acme::abc123'],
    ['openai', 'gpt-4o'],
    ['openai-responses', 'o4-mini'],
    ['openai-responses', 'gpt-5.1'],
    ['openai-responses', 'gpt-4.1'],
  ])('leaves a body of surface %s for %s nothing the upstream refuses, mutates nothing, and mends nothing twice', (surface, model) => {
    const { random, pick } = fuzzer(20261127, { names: [], scalars: [] });
    const capabilities = capabilitiesOf('openai', model)!;
    const refused = surface === 'openai' ? refusedByModel : responsesRefusedByModel;

    for (let i = 0; i < 600; i++) {
      const body = randomBody(random, pick);
      const before = structuredClone(body);
      let out;
      try {
        out = mendBody(surface, body, capabilities, model);
      } catch (err) {
        // Refused only for logprobs the answer could not carry.
        expect(err).toBeInstanceOf(GatewayError);
        expect((err as GatewayError).param).toBe('logprobs');
        expect(body.logprobs).toBe(true);
        continue;
      }

      expect(refused(model, out.body)).toBeUndefined();
      expect(body).toEqual(before);
      expect(mendBody(surface, out.body, capabilities, model).changes).toEqual([]);
      expect(out.body === body).toBe(out.changes.length === 0);
    }
  });
});
