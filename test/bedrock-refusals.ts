/**
 * The Bedrock translator's own refusals, for the surfaces' field-table tests: each surface
 * renames the canonical path a real refusal quotes, so the tests take one from the translator
 * rather than writing its words by hand.
 */
import type { ChatRequest } from '../lib/canonical/types';
import { GatewayError } from '../lib/http/errors';
import { toConverseBody } from '../lib/providers/bedrock/request';

/** A history whose assistant call (canonical part 1 of message 1) has arguments that are not a JSON object. */
export const CALL_ARGUMENTS_NOT_AN_OBJECT: ChatRequest = {
  model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  system: [],
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'Weather in Oslo?' }] },
    { role: 'assistant', parts: [{ type: 'text', text: 'Looking.' }, { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '["Oslo"]' }] },
  ],
  tools: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
  stream: false,
};

/** A user message with an http image URL, which Converse cannot fetch. */
export const IMAGE_URL: ChatRequest = {
  model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  system: [],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] }],
  stream: false,
};

/** What the Bedrock translator refuses `req` with, as it throws it. */
export function bedrockRefusal(req: ChatRequest): GatewayError {
  try {
    toConverseBody(req);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('The Bedrock translator took the request.');
}
