import { GatewayError } from '../http/errors';
import { ANTHROPIC_MESSAGES, GEMINI, OPENAI_CHAT, OPENAI_RESPONSES } from './bindings';

describe('the surfaces’ error bodies', () => {
  const DETAIL = 'role arn:aws:iam::666666666666:role/aigw-bedrock: User: arn:aws:sts::111122223333:assumed-role/aigw-proxy is not authorized';
  const error = new GatewayError('upstream_error', 'The gateway could not assume its AWS role for provider "pool" account "gone" (AccessDenied).', {
    code: 'upstream_assume_role_denied',
    detail: DETAIL,
  });

  it.each([
    ['OpenAI Chat', OPENAI_CHAT],
    ['Anthropic Messages', ANTHROPIC_MESSAGES],
    ['OpenAI Responses', OPENAI_RESPONSES],
    ['Gemini', GEMINI],
  ])('carry the message and never the log-only detail in %s, whole or in-band', (_name, binding) => {
    // Act
    const whole = String(binding.errorResponse(error).body);
    const inBand = binding.inBandError(error, { nextSequence: 7 });

    // Assess
    for (const body of [whole, inBand]) {
      expect(body).toContain('could not assume its AWS role for provider \\"pool\\" account \\"gone\\"');
      expect(body).not.toContain('arn:aws');
    }
  });
});

describe("the surfaces' names of a translator's field", () => {
  const refusal = new GatewayError('invalid_request', 'The schema in tools[0].function.parameters refers to itself.', { param: 'tools[0].function.parameters' });

  it.each([
    ['OpenAI Chat', OPENAI_CHAT, 'tools[0].function.parameters'],
    ['Anthropic Messages', ANTHROPIC_MESSAGES, 'tools[0].input_schema'],
    ['OpenAI Responses', OPENAI_RESPONSES, 'tools[0].parameters'],
    ['Gemini', GEMINI, 'tools'],
  ])('are %s’s own', (_name, binding, field) => {
    // Act
    const named = binding.inTranslatedFields(refusal, { messages: [] });
    const whole = String(binding.errorResponse(named).body);

    // Assess
    expect(whole).toContain(`The schema in ${field} refers to itself.`);
  });

  // An upstream's words name the fields of the body it was sent (a passthrough's: the client's own; a
  // translation's: another dialect's, whose indexes count what the translation added): never renamed.
  it.each([
    ['OpenAI Chat', OPENAI_CHAT],
    ['Anthropic Messages', ANTHROPIC_MESSAGES],
    ['OpenAI Responses', OPENAI_RESPONSES],
    ['Gemini', GEMINI],
  ])('leave an upstream’s error to %s in its words, whole and in-band', (_name, binding) => {
    // Prepare
    const upstream = new GatewayError('invalid_request', 'max_tokens is too large: 999999', { param: 'max_tokens' });

    // Act
    const whole = String(binding.errorResponse(upstream).body);
    const inBand = binding.inBandError(upstream, { nextSequence: 7 });

    // Assess
    for (const body of [whole, inBand]) expect(body).toContain('max_tokens is too large: 999999');
  });
});
