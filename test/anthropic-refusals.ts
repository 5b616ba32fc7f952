/**
 * The Anthropic translator's own refusals, for the surfaces' field-table tests, as
 * `bedrock-refusals.ts` gives the Bedrock translator's: each surface renames the canonical path a
 * real refusal quotes, so the tests take one from the translator rather than writing its words by hand.
 */
import type { ChatRequest, ImagePart } from '../lib/canonical/types';
import { GatewayError } from '../lib/http/errors';
import { toAnthropicBody } from '../lib/providers/anthropic/request';

/** An image at a URL Anthropic cannot fetch (neither http(s) nor a base64 data URL). */
const FTP_IMAGE: ImagePart = { type: 'image', source: { kind: 'url', url: 'ftp://files.example.com/cat.png' } };

/** A user message whose second part (canonical part 1 of message 0) is an ftp image URL. */
export const FTP_IMAGE_URL: ChatRequest = {
  model: 'claude-sonnet-4-5',
  system: [],
  messages: [{ role: 'user', parts: [{ type: 'text', text: 'What is this?' }, FTP_IMAGE] }],
  stream: false,
};

/** A tool result (canonical part 0 of message 2) whose second block is an ftp image URL. */
export const FTP_IMAGE_URL_IN_TOOL_RESULT: ChatRequest = {
  model: 'claude-sonnet-4-5',
  system: [],
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'Take a screenshot.' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'toolu_1', name: 'screenshot', arguments: '{}' }] },
    { role: 'user', parts: [{ type: 'tool_result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'Taken.' }, FTP_IMAGE] }] },
  ],
  tools: [{ name: 'screenshot', parameters: { type: 'object', properties: {} } }],
  stream: false,
};

/** What the Anthropic translator refuses `req` with, as it throws it. */
export function anthropicRefusal(req: ChatRequest): GatewayError {
  try {
    toAnthropicBody(req);
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('The Anthropic translator took the request.');
}
