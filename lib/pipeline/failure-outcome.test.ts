import { GatewayError } from '../http/errors';
import { errorFromAnthropicEvent } from '../providers/anthropic/errors';
import { brokenStreamError, streamEndedError } from '../providers/bedrock/errors';
import { errorFromOpenAIEvent } from '../providers/openai/errors';
import { eventTooLarge } from '../upstream/event-bound';
import { readFailure } from './broke-off';
import { failureOutcome } from './failure-outcome';

describe('failureOutcome', () => {
  it.each([
    { name: "a Bedrock stream ended before its last event (streamEndedError)", error: streamEndedError('aws'), expected: 'interrupted' },
    { name: 'a connection broken under the stream (readFailure)', error: readFailure(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), undefined, 'the stream'), expected: 'interrupted' },
    { name: 'a cut stream the gateway words itself', error: new GatewayError('upstream_unavailable', 'The upstream provider "g" ended the stream before it was complete.', { code: 'upstream_interrupted' }), expected: 'interrupted' },
    { name: 'a broken Bedrock frame', error: brokenStreamError('aws', new Error('bad prelude')), expected: 'upstream_error' },
    { name: "an OpenAI-compatible upstream's in-band error that carries the code", error: errorFromOpenAIEvent({ message: 'cut', type: 'api_error', code: 'upstream_interrupted' }, 'oai'), expected: 'upstream_error' },
    { name: "an OpenAI in-band server_error", error: errorFromOpenAIEvent({ message: 'The server had an error', type: 'server_error' }, 'oai'), expected: 'upstream_error' },
    { name: "Anthropic's error event of that type", error: errorFromAnthropicEvent(JSON.stringify({ type: 'error', error: { type: 'upstream_interrupted', message: 'cut' } }), 'claude'), expected: 'upstream_error' },
    { name: "Anthropic's overloaded_error event", error: errorFromAnthropicEvent(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), 'claude'), expected: 'upstream_error' },
    { name: 'an event past the bound (upstream_unavailable, another code)', error: eventTooLarge(1024), expected: 'upstream_error' },
    { name: 'a failure read with no error (a meter’s words alone)', error: undefined, expected: 'upstream_error' },
  ])('$name: $expected', ({ error, expected }) => {
    // Act
    const outcome = failureOutcome(error);

    // Assess
    expect(outcome).toBe(expected);
  });
});
