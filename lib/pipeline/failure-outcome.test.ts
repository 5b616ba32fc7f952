import { GatewayError } from '../http/errors';
import { errorFromAnthropicEvent } from '../providers/anthropic/errors';
import { brokenStreamError, streamEndedError } from '../providers/bedrock/errors';
import { errorFromOpenAIEvent } from '../providers/openai/errors';
import { eventTooLarge } from '../upstream/event-bound';
import { readFailure } from './broke-off';
import { bookFailure, failureOutcome } from './failure-outcome';
import { streamEndedError as cutStream } from '../http/stream-ended';

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
  ])('$name: $expected', ({ error, expected }) => {
    // Act
    const outcome = failureOutcome(error);

    // Assess
    expect(outcome).toBe(expected);
  });
});

describe('bookFailure', () => {
  it.each([
    { name: 'a cut stream: interrupted, its code, no detail', error: cutStream('g'), expected: { outcome: 'interrupted', errorCode: 'upstream_interrupted', errorDetail: undefined } },
    { name: "an upstream's error whose words were kept from the client: its code and the words as detail", error: errorFromOpenAIEvent({ message: 'Rate limit reached in organization org-uVqpjtJiKqvVJMVfvpaounIh.', type: 'requests', code: 'rate_limit_exceeded' }, 'oai'), expected: { outcome: 'upstream_error', errorCode: 'rate_limit_exceeded', errorDetail: 'Rate limit reached in organization org-uVqpjtJiKqvVJMVfvpaounIh.' } },
    { name: 'an error with no code nor detail (a media stream’s, as it came): the outcome alone', error: new GatewayError('upstream_error', 'boom'), expected: { outcome: 'upstream_error', errorCode: undefined, errorDetail: undefined } },
    { name: 'an error with no code nor detail after one with both: nothing of the earlier one is left', error: new GatewayError('upstream_error', 'boom'), before: { errorCode: 'rate_limit_exceeded', errorDetail: 'Slow down' }, expected: { outcome: 'upstream_error', errorCode: undefined, errorDetail: undefined } },
  ])('$name', ({ error, before, expected }) => {
    // Prepare
    const ctx: Parameters<typeof bookFailure>[0] = { ...before };

    // Act
    bookFailure(ctx, error);

    // Assess
    expect({ outcome: ctx.outcome, errorCode: ctx.errorCode, errorDetail: ctx.errorDetail }).toEqual(expected);
  });
});
