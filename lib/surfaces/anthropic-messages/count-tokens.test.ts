import type { ChatRequest } from '../../canonical/types';
import { countTokensEstimate, TOKEN_ESTIMATE } from './count-tokens';
import { decodeAnthropicRequest } from './request';
import { loadFixture } from '../../../test/integration/claude-code/fixtures';

const req = (over: Partial<ChatRequest>): ChatRequest => ({ model: 'm', system: [], messages: [], stream: false, ...over });
const { base, perMessage, perImage, perDocument, toolsPreamble } = TOKEN_ESTIMATE;

describe('countTokensEstimate', () => {
  it.each<{ name: string; input: ChatRequest; expected: number }>([
    { name: 'counts an empty request as its framing', input: req({}), expected: base },
    { name: 'counts text at ~3.4 characters a token', input: req({ messages: [{ role: 'user', parts: [{ type: 'text', text: 'x'.repeat(34) }] }] }), expected: base + perMessage + 10 },
    { name: 'counts the system prompt', input: req({ system: [{ type: 'text', text: 'y'.repeat(68) }] }), expected: base + 20 },
    { name: 'charges a fixed price per image', input: req({ messages: [{ role: 'user', parts: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] }] }), expected: base + perMessage + perImage },
    {
      name: 'charges a fixed price per binary document and counts text documents',
      input: req({ messages: [{ role: 'user', parts: [{ type: 'document', source: { kind: 'base64', mediaType: 'application/pdf', data: 'JVBER' } }, { type: 'document', source: { kind: 'text', text: 'z'.repeat(34) } }] }] }),
      expected: base + perMessage + perDocument + 10,
    },
    {
      name: 'counts tool schemas and the tool-use preamble',
      input: req({ tools: [{ name: 'abcd', parameters: { type: 'object' } }] }),
      expected: base + toolsPreamble + Math.ceil(('abcd'.length + JSON.stringify({ type: 'object' }).length) / TOKEN_ESTIMATE.schemaCharsPerToken),
    },
  ])('$name', ({ input, expected }) => {
    expect(countTokensEstimate(input)).toBe(expected);
  });

  it.each([
    { file: 'cc-1.0.6-first-turn', actual: 15036, tolerance: 0.15 },
    { file: 'cc-1.0.6-tool-loop', actual: 18696, tolerance: 0.15 },
    // Short prose is where a characters-per-token rule is weakest; it errs on the high side.
    { file: 'cc-1.0.6-haiku-title', actual: 96, tolerance: 0.4 },
  ] as const)('lands near the input tokens Anthropic counted for $file', ({ file, actual, tolerance }) => {
    // Act
    const estimate = countTokensEstimate(decodeAnthropicRequest(loadFixture(file).request.body));

    // Assess
    expect(Math.abs(estimate - actual) / actual).toBeLessThanOrEqual(tolerance);
  });
});
