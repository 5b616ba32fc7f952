import { fuzzer } from '../../../test/fuzz';
import { GatewayError } from '../../http/errors';
import { decodeResponsesRequest } from './decode';

describe('decodeResponsesRequest on arbitrary input (fuzz)', () => {
  it('decodes or refuses with a 400 naming a field, never failing otherwise', () => {
    // Prepare: a seeded generator, so a failure reproduces; mostly item-like shapes, so the item walk is reached.
    const { random, pick, value, some } = fuzzer(11, {
      names: ['type', 'role', 'content', 'text', 'call_id', 'name', 'arguments', 'output', 'summary', 'encrypted_content', 'image_url', 'file_data', 'format', 'effort'],
      scalars: [null, undefined, 0, -1, 1.5, true, '', 'x', 'user', 'assistant', 'function', 'data:image/png;base64,AA', 'é\u0000\ud800'],
    });
    const part = () => ({ type: pick(['input_text', 'output_text', 'input_image', 'input_file', 'refusal', value(3)]), text: value(3), image_url: value(3), file_data: value(3), refusal: value(3) });
    const item = () =>
      random() < 0.8
        ? { type: pick(['message', 'function_call', 'function_call_output', 'reasoning', undefined, value(3)]), role: pick(['user', 'assistant', 'system', 'developer', value(3)]), content: random() < 0.5 ? value(3) : some(part), call_id: value(3), name: value(3), arguments: value(3), output: random() < 0.5 ? value(3) : some(part), summary: value(2), encrypted_content: value(3) }
        : value(2);
    const bodies = Array.from({ length: 3000 }, () => ({
      model: random() < 0.9 ? 'm' : value(1),
      input: random() < 0.8 ? some(item) : value(1),
      instructions: random() < 0.5 ? undefined : value(1),
      tools: random() < 0.7 ? undefined : some(() => ({ type: pick(['function', 'web_search', value(3)]), name: value(3), parameters: value(2) })),
      tool_choice: random() < 0.7 ? undefined : value(1),
      text: random() < 0.7 ? undefined : { format: value(2) },
      reasoning: random() < 0.7 ? undefined : { effort: value(3) },
      max_output_tokens: random() < 0.8 ? undefined : value(3),
    }));

    // Act
    const outcomes = bodies.map((body) => {
      try {
        decodeResponsesRequest(body as Record<string, unknown>);
        return 'decoded';
      } catch (err) {
        return err instanceof GatewayError && err.status === 400 && !!err.param ? 'refused' : err;
      }
    });

    // Assess
    expect(outcomes.filter((o) => o !== 'decoded' && o !== 'refused')).toEqual([]);
    expect(outcomes.filter((o) => o === 'decoded').length).toBeGreaterThan(100);
  });
});
