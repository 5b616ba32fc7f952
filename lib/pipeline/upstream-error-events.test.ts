import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { chunkFrame, eventFrame, exceptionFrame } from '../../test/fakes/bedrock-wire';
import { InBandErrorGuard } from '../http/in-band-errors';
import { anthropicErrorEvents, earlyElementFailure, earlyFailure, earlyFrameFailure, geminiErrorEvents, openAIErrorEvents, responsesErrorEvents } from './upstream-error-events';

const data = (text: string | undefined) => JSON.parse(/^data: (.*)$/m.exec(text ?? '')?.[1] ?? 'null') as unknown;

describe('openAIErrorEvents', () => {
  const rule = openAIErrorEvents('oai');

  it.each([
    [
      'OpenAI’s rate limit naming the organisation',
      { error: { message: 'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385.', type: 'tokens', code: 'rate_limit_exceeded' } },
      { message: 'Rate limit reached for gpt-4o in organization the provider account on tokens per min (TPM): Limit 30000, Used 29937, Requested 385.', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null },
      'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385.',
    ],
    [
      'a key refused mid-stream (vLLM’s numeric code)',
      { error: { message: 'Incorrect API key provided: sk-proj-****abcd.', type: 'invalid_request_error', code: 401 } },
      { message: 'The upstream provider "oai" rejected the gateway\'s credentials (401).', type: 'api_error', code: 'upstream_auth_failed', param: null },
      'Incorrect API key provided: sk-proj-****abcd.',
    ],
    [
      'OpenRouter’s provider error beside its choices',
      { id: 'gen-1', object: 'chat.completion.chunk', error: { code: 'server_error', message: 'Provider disconnected unexpectedly' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] },
      { message: 'Provider disconnected unexpectedly', type: 'api_error', code: 'server_error', param: null },
      undefined,
    ],
    [
      'Azure’s content filter',
      { error: { message: 'The response was filtered due to the prompt triggering Azure OpenAI\'s content management policy.', type: null, param: 'prompt', code: 'content_filter', status: 400 } },
      { message: 'The response was filtered due to the prompt triggering Azure OpenAI\'s content management policy.', type: 'invalid_request_error', code: 'content_filter', param: 'prompt' },
      undefined,
    ],
    ['an error given as a string', { error: 'upstream timed out' }, { message: 'upstream timed out', type: 'api_error', code: null, param: null }, undefined],
  ])('rewrites %s in OpenAI’s shape', (_case, chunk, expected, detail) => {
    // Act
    const out = rule.rewrite(`data: ${JSON.stringify(chunk)}`);

    // Assess
    expect(data(out?.text)).toEqual({ error: expected });
    expect(out?.error.detail).toBe(detail);
  });

  it.each([
    ['a content chunk that says "error"', 'data: {"choices":[{"delta":{"content":"\\"error\\": none"}}]}'],
    ['a chunk whose error is null', 'data: {"choices":[],"error":null}'],
    ['the end', 'data: [DONE]'],
    ['a comment', ': "error"'],
    ['a chunk with a key named `error_count`', 'data: {"choices":[],"usage":{"error_count":2}}'],
    ['a chunk whose logprobs name the token "error"', 'data: {"choices":[{"delta":{"content":"error"},"logprobs":{"content":[{"token":"error","logprob":-0.1}]}}]}'],
  ])('leaves %s alone', (_case, text) => {
    expect(rule.rewrite(text)).toBeUndefined();
  });
});

describe('anthropicErrorEvents', () => {
  const rule = anthropicErrorEvents('anth');
  const event = (type: string, message: string) => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}`;

  it.each([
    ['overloaded', event('overloaded_error', 'Overloaded'), { type: 'overloaded_error', message: 'Overloaded' }, undefined],
    [
      'a rate limit naming the organisation',
      event('rate_limit_error', 'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.'),
      { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization (the provider account) of 40,000 input tokens per minute.' },
      'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.',
    ],
    [
      'the gateway’s key refused',
      event('authentication_error', 'invalid x-api-key (organization org-operator-4821 disabled)'),
      { type: 'api_error', message: 'The upstream provider "anth" rejected the gateway\'s credentials (authentication_error).' },
      'invalid x-api-key (organization org-operator-4821 disabled)',
    ],
    [
      'a permission error',
      event('permission_error', 'Your organization 4821 cannot use this model.'),
      { type: 'api_error', message: 'The upstream provider "anth" rejected the gateway\'s credentials (permission_error).' },
      'Your organization 4821 cannot use this model.',
    ],
    ['an error without its event name', `data: {"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, { type: 'api_error', message: 'Internal server error' }, undefined],
  ])('rewrites %s as `event: error` in Anthropic’s shape', (_case, text, expected, detail) => {
    // Act
    const out = rule.rewrite(text);

    // Assess
    expect(out?.text.startsWith('event: error\n')).toBe(true);
    expect(data(out?.text)).toEqual({ type: 'error', error: expected });
    expect(out?.error.detail).toBe(detail);
  });

  it('leaves a text delta that says "error" alone', () => {
    expect(rule.rewrite('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"error"}}')).toBeUndefined();
  });
});

describe('geminiErrorEvents', () => {
  const quota = "Quota exceeded for quota metric 'Generate Content API requests per minute' of service 'generativelanguage.googleapis.com' for consumer 'project_number:987654321012'.";

  it('rewrites an SSE error event in Google’s shape, without the project', () => {
    // Act
    const out = geminiErrorEvents('gem', 'sse').rewrite(`data: ${JSON.stringify({ error: { code: 429, message: quota, status: 'RESOURCE_EXHAUSTED' } })}`);

    // Assess
    expect(data(out?.text)).toEqual({ error: { code: 429, message: quota.replace('project_number:987654321012', 'the provider account'), status: 'RESOURCE_EXHAUSTED' } });
    expect(out?.error.detail).toBe(quota);
  });

  it.each([
    ['the first element', '[{\n  "error": {\n    "code": 403,\n    "message": "Permission denied on projects/acme-prod.",\n    "status": "PERMISSION_DENIED"\n  }\n}', '['],
    ['a later element', '\n,\r\n{\n  "error": {\n    "code": 403,\n    "message": "Permission denied on projects/acme-prod.",\n    "status": "PERMISSION_DENIED"\n  }\n}', '\n,\r\n'],
  ])('rewrites an error as %s of the JSON array, keeping what stood before it', (_case, text, before) => {
    // Act
    const out = geminiErrorEvents('gem', 'array').rewrite(text);

    // Assess
    expect(out?.text.startsWith(`${before}{`)).toBe(true);
    expect(out?.text).not.toContain('acme-prod');
    expect(JSON.parse(out!.text.slice(before.length))).toEqual({ error: { code: 502, message: 'The upstream provider "gem" rejected the gateway\'s credentials (403 PERMISSION_DENIED).', status: 'UNAVAILABLE' } });
    expect(out?.error).toMatchObject({ code: 'upstream_auth_failed', detail: 'Permission denied on projects/acme-prod.' });
  });

  it('leaves a candidate whose text says "error" alone', () => {
    expect(geminiErrorEvents('gem', 'sse').rewrite('data: {"candidates":[{"content":{"parts":[{"text":"\\"error\\""}]}}]}')).toBeUndefined();
  });
});

describe('responsesErrorEvents', () => {
  const rule = responsesErrorEvents('oai');
  const said = 'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM): Limit 30000, Used 29937, Requested 385.';
  const shown = said.replace('org-uOtiSEwvUnroadaOnJJquBEC', 'the provider account');

  it('rewrites the `error` event in its place and number, flat and nested', () => {
    // Act
    const out = rule.rewrite(`event: error\ndata: ${JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: said, param: null, sequence_number: 7 })}`);

    // Assess
    expect(out?.text.startsWith('event: error\n')).toBe(true);
    expect(data(out?.text)).toEqual({
      type: 'error',
      code: 'rate_limit_exceeded',
      message: shown,
      param: null,
      sequence_number: 7,
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: shown, param: null },
    });
    expect(out?.error.detail).toBe(said);
  });

  it('rewrites an `error` event named by its event line alone (its data with no type), as the meter reads it', () => {
    // Act
    const out = rule.rewrite(`event: error\ndata: ${JSON.stringify({ error: { code: 'rate_limit_exceeded', message: said }, sequence_number: 3 })}`);

    // Assess: the client is not told the organization, and the books have the upstream's words as detail.
    expect(out?.text.startsWith('event: error\n')).toBe(true);
    expect(data(out?.text)).toMatchObject({ code: 'rate_limit_exceeded', message: shown, sequence_number: 3, error: { code: 'rate_limit_exceeded', message: shown } });
    expect(out?.error.detail).toBe(said);
  });

  it.each([
    ['its words nested', { error: { message: said, type: 'requests', code: 'rate_limit_exceeded', param: null } }],
    ['its words a string', { error: said }],
  ])('rewrites an unnamed event whose data has an `error` (%s), which OpenAI’s clients raise on any stream', (_case, sent) => {
    // Act
    const out = rule.rewrite(`data: ${JSON.stringify(sent)}`);

    // Assess
    expect(out?.text).not.toContain('org-uOti');
    expect(data(out?.text)).toMatchObject({ error: { message: shown } });
    expect(out?.error.detail).toBe(said);
  });

  it('keeps none of an `error` event’s other fields, which may repeat its words', () => {
    // Act
    const out = rule.rewrite(`event: error\ndata: ${JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: said, param: null, sequence_number: 4, detail: said, request_id: 'req_1' })}`);

    // Assess
    expect(out?.text).not.toContain('org-uOti');
    expect(data(out?.text)).toEqual({ type: 'error', code: 'rate_limit_exceeded', message: shown, param: null, sequence_number: 4, error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: shown, param: null } });
  });

  it('rewrites the error on a failed response, keeping the rest of the response', () => {
    // Prepare
    const failed = { type: 'response.failed', sequence_number: 9, response: { id: 'resp_1', object: 'response', status: 'failed', output: [], error: { code: 'rate_limit_exceeded', message: said } } };

    // Act
    const out = rule.rewrite(`event: response.failed\ndata: ${JSON.stringify(failed)}`);

    // Assess
    expect(data(out?.text)).toEqual({ ...failed, response: { ...failed.response, error: { code: 'rate_limit_exceeded', message: shown } } });
    expect(out?.error.detail).toBe(said);
  });

  it.each([
    ['a completed response (its error null)', 'event: response.completed\ndata: {"type":"response.completed","response":{"status":"completed","error":null}}'],
    ['a text delta that says "error"', 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"\\"error\\""}'],
  ])('leaves %s alone', (_case, text) => {
    expect(rule.rewrite(text)).toBeUndefined();
  });
});

describe('the SSE rules on a stream that opens with a byte-order mark', () => {
  const openai = 'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM).';
  const anthropic = 'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.';
  const google = "Quota exceeded for consumer 'project_number:987654321012'.";

  it.each([
    ['OpenAI', openAIErrorEvents('oai'), `data: ${JSON.stringify({ error: { message: openai, type: 'tokens', code: 'rate_limit_exceeded' } })}`, openai, 'org-uOtiSEwvUnroadaOnJJquBEC'],
    ['Responses', responsesErrorEvents('oai'), `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: openai, sequence_number: 0 })}`, openai, 'org-uOtiSEwvUnroadaOnJJquBEC'],
    ['Anthropic', anthropicErrorEvents('anth'), `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: anthropic } })}`, anthropic, 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7'],
    ['Gemini', geminiErrorEvents('gem', 'sse'), `data: ${JSON.stringify({ error: { code: 429, message: google, status: 'RESOURCE_EXHAUSTED' } })}`, google, '987654321012'],
    ['Chat Completions, an `event: error` its fields flat', openAIErrorEvents('oai'), `event: error\ndata: ${JSON.stringify({ code: 'rate_limit_exceeded', message: openai })}`, openai, 'org-uOtiSEwvUnroadaOnJJquBEC'],
    ['Responses, an `event: error` its fields flat', responsesErrorEvents('oai'), `event: error\ndata: ${JSON.stringify({ code: 'rate_limit_exceeded', message: openai })}`, openai, 'org-uOtiSEwvUnroadaOnJJquBEC'],
    ['Anthropic, an `event: error` its fields flat', anthropicErrorEvents('anth'), `event: error\ndata: ${JSON.stringify({ type: 'rate_limit_error', message: anthropic })}`, anthropic, 'd3f27ff7-9afe-4ee2-9645-76ecfc73c2b7'],
  ])('reads %s’s error event after the mark, as an SSE client does, and rewrites it', (_dialect, rule, event, words, secret) => {
    // Act: the mark opens the stream's first event, which is the error.
    const out = rule.rewrite(`\uFEFF${event}`);

    // Assess
    expect(out?.text).toBeDefined();
    expect(out?.text).not.toContain(secret);
    expect(out?.error.detail).toBe(words);
  });
});

describe('the SSE rules on an `event: error` whose data holds no "error"', () => {
  const openai = 'Rate limit reached for gpt-4o in organization org-uOtiSEwvUnroadaOnJJquBEC on tokens per min (TPM).';
  const openaiShown = openai.replace('org-uOtiSEwvUnroadaOnJJquBEC', 'the provider account');
  const anthropic = 'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.';
  const anthropicShown = anthropic.replace('d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7', 'the provider account');

  it.each([
    ['Chat Completions, its fields flat', openAIErrorEvents('oai'), `event: error\ndata: ${JSON.stringify({ message: openai, code: 'rate_limit_exceeded' })}`, { error: { message: openaiShown, type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } }, 'rate_limit_exceeded'],
    ['Chat Completions, named without the space', openAIErrorEvents('oai'), `event:error\ndata: ${JSON.stringify({ message: openai, code: 'rate_limit_exceeded' })}`, { error: { message: openaiShown, type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } }, 'rate_limit_exceeded'],
    ['Responses, its fields flat, no type, no number', responsesErrorEvents('oai'), `event: error\ndata: ${JSON.stringify({ code: 'rate_limit_exceeded', message: openai })}`, { code: 'rate_limit_exceeded', message: openaiShown, param: null, error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: openaiShown, param: null } }, 'rate_limit_exceeded'],
    ['Anthropic, its fields flat', anthropicErrorEvents('anth'), `event: error\ndata: ${JSON.stringify({ type: 'rate_limit_error', message: anthropic })}`, { type: 'error', error: { type: 'rate_limit_error', message: anthropicShown } }, 'rate_limit_error'],
  ])('%s: holds a marker of its rule, and is rewritten without the organisation, with its code', (_case, rule, text, expected, code) => {
    // Act
    const out = rule.rewrite(text);

    // Assess: the guard decodes it (a marker), the client gets the gateway's words, the books the code and the upstream's words.
    expect(rule.markers.some((marker) => text.includes(marker))).toBe(true);
    expect(data(out?.text)).toEqual(expected);
    expect(out?.text).not.toMatch(/org-uOti|d3f27ff7/);
    expect(out?.error.code).toBe(code);
    expect(out?.error.detail).toBe(text.includes('org-') ? openai : anthropic);
  });

  it.each([
    ['Chat Completions', openAIErrorEvents('oai')],
    ['Responses', responsesErrorEvents('oai')],
  ])('%s: an `event: error` whose data is no JSON (cut off inside an id) is told in the gateway’s words alone', (_case, rule) => {
    // Act
    const out = rule.rewrite(`event: error\ndata: {"code":"rate_limit_exceeded","message":"Rate limit reached in organization org-uOtiSEw`);

    // Assess
    expect(out?.text).toBeDefined();
    expect(out?.text).not.toContain('org-uOti');
    expect(out?.error).toMatchObject({ status: 500, message: 'The upstream provider "oai" answered 500.' });
  });

  it.each([
    ['Chat Completions', openAIErrorEvents('oai'), 'event: message\ndata: {"code":"x","message":"y"}'],
    ['Responses', responsesErrorEvents('oai'), 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"event: error"}'],
    ['Anthropic', anthropicErrorEvents('anth'), 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"event: error"}}'],
  ])('%s: leaves an event of another name alone, though its text says `event: error`', (_case, rule, text) => {
    expect(rule.rewrite(text)).toBeUndefined();
  });
});

describe('the SSE rules’ guard on the event a stream ended in (no blank line after it)', () => {
  const chat = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: 'stop' }] })}`;
  const completed = `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 9, response: { id: 'resp_1', status: 'completed', error: null, output: [] } })}`;
  const delta = `event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a type error' } })}`;
  const candidate = `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text: 'say "error"' }] } }], error: null })}`;

  it.each([
    ['Chat Completions, a chunk whose text says the word', openAIErrorEvents('oai'), chat('Fix the type error.')],
    ['Responses, `response.completed` (its response holds `"error":null`)', responsesErrorEvents('oai'), completed],
    ['Anthropic, a text delta that says the word', anthropicErrorEvents('anth'), delta],
    ['Gemini, a candidate holding `"error"`', geminiErrorEvents('gem', 'sse'), candidate],
  ])('%s: passes it on whole, with the blank line it lacked (OpenAI’s clients read an event the stream ended in)', async (_case, rule, last) => {
    // Prepare
    const guard = new InBandErrorGuard(rule);

    // Act
    const head = guard.pass(Buffer.from('data: {"a":1}\n\n'));
    const tail = guard.pass(Buffer.from(last)) ?? guard.end();

    // Assess
    expect(Buffer.from(head!).toString()).toBe('data: {"a":1}\n\n');
    expect(tail && Buffer.from(tail).toString()).toBe(`${last}\n\n`);
    expect(guard.error).toBeUndefined();
  });

  it.each([
    ['Chat Completions', openAIErrorEvents('oai'), 'data: {"error":{"message":"Rate limit reached in organization org-uOtiSEw'],
    ['Gemini', geminiErrorEvents('gem', 'sse'), `data: {"error":{"code":429,"message":"Quota exceeded for consumer 'project_number:98765`],
  ])('%s: drops an error cut off inside its words, which could not be read', (_case, rule, last) => {
    // Prepare
    const guard = new InBandErrorGuard(rule);

    // Act
    guard.pass(Buffer.from(last));
    const tail = guard.end();

    // Assess
    expect(tail).toBeUndefined();
  });
});

describe('earlyFailure', () => {
  const MESSAGE_START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01","usage":{"input_tokens":9,"output_tokens":1}}}   \n\n';
  const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
  const anthropicError = (type: string, message: string) => `event: error\ndata: {"type":"error","error":{"type":"${type}","message":"${message}"}}\n\n`;
  const CREATED = 'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","error":null}}\n\n';
  const IN_PROGRESS = 'event: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","status":"in_progress","error":null}}\n\n';

  it.each<[string, string[], { status: number; kind: string; code?: string } | undefined]>([
    // Anthropic (and Claude on Vertex): after message_start and pings, the first other event decides.
    ["Anthropic's overloaded_error after message_start", [MESSAGE_START + anthropicError('overloaded_error', 'Overloaded')], { status: 503, kind: 'overloaded', code: 'overloaded_error' }],
    ["Anthropic's rate_limit_error after message_start and pings", [MESSAGE_START, PING, PING, anthropicError('rate_limit_error', 'Rate limited')], { status: 429, kind: 'rate_limit', code: 'rate_limit_error' }],
    ["Anthropic's api_error as the first event", [anthropicError('api_error', 'Internal server error')], { status: 502, kind: 'upstream_error', code: 'api_error' }],
    ['an error split across chunks', [MESSAGE_START + 'event: err', 'or\ndata: {"type":"error","error":{"type":"overl', 'oaded_error","message":"Overloaded"}}\n\n'], { status: 503, kind: 'overloaded', code: 'overloaded_error' }],
    ["Anthropic's refusal of the key, in-band", [MESSAGE_START + anthropicError('authentication_error', 'invalid x-api-key')], { status: 502, kind: 'upstream_error', code: 'upstream_auth_failed' }],
    ['an error after content_block_start: the answer had started', [MESSAGE_START + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' + anthropicError('overloaded_error', 'Overloaded')], undefined],
    ['a sound Anthropic opening', [MESSAGE_START + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' + PING], undefined],
    // OpenAI chunks and OpenAI-compatible servers: the first data event decides.
    ["vLLM's error chunk with a numeric code", ['data: {"error":{"object":"error","message":"The server is overloaded","type":"ServiceUnavailableError","code":503}}\n\n'], { status: 503, kind: 'overloaded' }],
    ["OpenRouter's error chunk after its processing comments", [': OPENROUTER PROCESSING\n\n', 'data: {"error":{"message":"Rate limit exceeded","code":429}}\n\n'], { status: 429, kind: 'rate_limit' }],
    ['an error chunk after a content chunk: the answer had started', ['data: {"choices":[{"delta":{"content":"Hi"}}]}\n\ndata: {"error":{"message":"boom","code":500}}\n\n'], undefined],
    ['a chunk whose error is null', ['data: {"choices":[],"error":null}\n\n'], undefined],
    ['a content chunk that mentions "error"', ['data: {"choices":[{"delta":{"content":"\\"error\\""}}]}\n\n'], undefined],
    // The Responses API: past response.created and response.in_progress.
    ['response.failed in the opening read', [CREATED + IN_PROGRESS + 'event: response.failed\ndata: {"type":"response.failed","sequence_number":2,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"The server had an error"}}}\n\n'], { status: 500, kind: 'upstream_error', code: 'server_error' }],
    ["the Responses API's error event", [CREATED + 'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Rate limit reached","param":null,"sequence_number":1}\n\n'], { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    ['response.failed after an output item: the answer had started', [CREATED + 'event: response.output_item.added\ndata: {"type":"response.output_item.added","sequence_number":1}\n\nevent: response.failed\ndata: {"type":"response.failed","sequence_number":2,"response":{"error":{"code":"server_error","message":"x"}}}\n\n'], undefined],
    ['response.created alone', [CREATED], undefined],
    // Error events whose data holds no `"error"`: named by their event line alone, their fields flat.
    ["the Responses API's error event, its fields flat, no type", [CREATED + 'event: error\ndata: {"code":"rate_limit_exceeded","message":"Rate limit reached","sequence_number":1}\n\n'], { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    ['an error event with flat fields and no number (OpenAI-compatible)', ['event: error\ndata: {"code":"rate_limit_exceeded","message":"Rate limit reached"}\n\n'], { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    ['an error event named without the space', [CREATED + 'event:error\ndata: {"code":"server_error","message":"The server had an error","sequence_number":1}\n\n'], { status: 500, kind: 'upstream_error', code: 'server_error' }],
    ["Anthropic's error event with flat fields after message_start", [MESSAGE_START + 'event: error\ndata: {"type":"overloaded_error","message":"Overloaded"}\n\n'], { status: 503, kind: 'overloaded', code: 'overloaded_error' }],
    ['an error event whose words are no JSON', ['event: error\ndata: upstream timed out\n\n'], { status: 502, kind: 'upstream_error' }],
    // OpenAI's error object on an `event: error` line (read by OpenAI's clients, and by the in-band rule mid-stream, as OpenAI's).
    ["OpenAI's nested error on an `event: error` line", ['event: error\ndata: {"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}\n\n'], { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    ["an OpenAI-compatible server's nested error with a numeric code on an `event: error` line", ['event: error\ndata: {"error":{"message":"The server is overloaded","code":503}}\n\n'], { status: 503, kind: 'overloaded' }],
    ['an event named error_x: not an error', ['event: error_x\ndata: {"code":1}\n\n'], undefined],
    // Gemini: an error object as the first event.
    ["Google's UNAVAILABLE", ['data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}\r\n\r\n'], { status: 503, kind: 'overloaded' }],
    ["Google's RESOURCE_EXHAUSTED", ['data: {"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}\n\n'], { status: 429, kind: 'rate_limit' }],
    // What is not an event yet decides nothing.
    ['an error event not ended', [MESSAGE_START + 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error"}}\n'], undefined],
    ['nothing', [], undefined],
    // Answers that merely name an error: a tool called "error", a structured answer with an "error" field.
    ['a Claude tool_use block named "error"', [MESSAGE_START + 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"error","input":{}}}\n\n'], undefined],
    ['a chat tool call named "error"', ['data: {"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"error","arguments":""}}]}}]}\n\n'], undefined],
    ['a chat chunk whose JSON answer holds an "error" field', ['data: {"choices":[{"delta":{"content":"{\\"error\\": {\\"code\\": 503}}"}}]}\n\n'], undefined],
    ['a Responses output item for a function named "error"', [CREATED + 'event: response.output_item.added\ndata: {"type":"response.output_item.added","sequence_number":1,"item":{"type":"function_call","name":"error","arguments":""}}\n\n'], undefined],
    ["a Gemini chunk calling a function named \"error\"", ['data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"error","args":{}}}]}}]}\r\n\r\n'], undefined],
  ])('%s', (_what, chunks, expected) => {
    // Act
    const failure = earlyFailure(chunks.map((chunk) => Buffer.from(chunk)), 'up');

    // Assess
    if (expected === undefined) expect(failure).toBeUndefined();
    else expect(failure).toMatchObject(expected);
  });

  it('keeps the operator\'s organisation out of the words, as the in-band rule does', () => {
    // Act
    const failure = earlyFailure([Buffer.from(MESSAGE_START + anthropicError('rate_limit_error', 'This request would exceed the rate limit for your organization (d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7) of 40,000 input tokens per minute.'))], 'anth');

    // Assess
    expect(failure?.message).toBe('This request would exceed the rate limit for your organization (the provider account) of 40,000 input tokens per minute.');
    expect(failure?.detail).toContain('d3f27ff7-9afe-4ee2-9645-76ecfc73c2b7');
  });
});

describe('earlyFrameFailure', () => {
  const messageStart = eventFrame('messageStart', { role: 'assistant' });
  const blockStart = eventFrame('contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 'tooluse_1', name: 'throttlingException', input: {} } } });
  const anthropicStart = chunkFrame({ type: 'message_start', message: { id: 'msg_bdrk_01', usage: { input_tokens: 9, output_tokens: 1 } } });
  const anthropicPing = chunkFrame({ type: 'ping' });
  const exception = (type: string, message = `${type} (test)`) => exceptionFrame(type, message);
  // A `:message-type: error` message, which names its code and message in headers.
  const errorMessage = new EventStreamCodec(toUtf8, fromUtf8).encode({
    headers: { ':message-type': { type: 'string', value: 'error' }, ':error-code': { type: 'string', value: 'InternalFailure' }, ':error-message': { type: 'string', value: 'An internal error occurred.' } },
    body: new Uint8Array(0),
  });
  const cat = (...frames: Uint8Array[]) => Buffer.concat(frames);
  // A chunk carrying Claude's event as written, spaces and key order and all (`chunkFrame` writes it compact).
  const rawChunkFrame = (json: string) => eventFrame('chunk', { bytes: Buffer.from(json).toString('base64') });

  it.each<[string, readonly Uint8Array[], { status: number; kind: string; code?: string; message?: string; detail?: string } | undefined]>([
    // ConverseStream: after messageStart, the first other frame decides.
    ['throttlingException after messageStart', [cat(messageStart, exception('throttlingException', 'Too many requests, please wait before trying again.'))], { status: 429, kind: 'rate_limit', code: 'rate_limit_exceeded' }],
    ['serviceUnavailableException as the first frame', [exception('serviceUnavailableException')], { status: 503, kind: 'overloaded' }],
    ['modelNotReadyException', [cat(messageStart, exception('modelNotReadyException'))], { status: 503, kind: 'overloaded' }],
    ['internalServerException', [cat(messageStart, exception('internalServerException'))], { status: 500, kind: 'upstream_error', code: 'internal_server_exception' }],
    ['modelStreamErrorException', [cat(messageStart, exception('modelStreamErrorException'))], { status: 502, kind: 'upstream_error', code: 'model_stream_error_exception' }],
    ['validationException: the request\'s, as its HTTP answer is', [cat(messageStart, exception('validationException'))], { status: 400, kind: 'invalid_request' }],
    ['an error message (not an exception)', [cat(messageStart, errorMessage)], { status: 500, kind: 'upstream_error' }],
    ['the exception cut across three chunks', (() => {
      const bytes = cat(messageStart, exception('throttlingException'));
      return [bytes.subarray(0, 20), bytes.subarray(20, messageStart.length + 9), bytes.subarray(messageStart.length + 9)].map((b) => Buffer.from(b));
    })(), { status: 429, kind: 'rate_limit' }],
    // InvokeModelWithResponseStream: after Anthropic's message_start and ping in chunks.
    ["throttlingException after Anthropic's message_start and ping", [cat(anthropicStart, anthropicPing, exception('throttlingException'))], { status: 429, kind: 'rate_limit' }],
    // Claude's own error event in a chunk, read as the relay reads it mid-stream.
    ["Claude's overloaded_error after message_start", [cat(anthropicStart, chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))], { status: 503, kind: 'overloaded', code: 'overloaded_error', message: 'Overloaded' }],
    ["Claude's rate_limit_error naming the account, after message_start and ping", [cat(anthropicStart, anthropicPing, chunkFrame({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down, account 123456789012.' } }))], { status: 429, kind: 'rate_limit', message: 'Slow down, account <account>.', detail: 'Slow down, account 123456789012.' }],
    ["Claude's error event whose type is not its first key", [cat(anthropicStart, chunkFrame({ error: { type: 'overloaded_error', message: 'Overloaded' }, type: 'error' }))], { status: 503, kind: 'overloaded', code: 'overloaded_error', message: 'Overloaded' }],
    ["Claude's error event written with spaces, after message_start and ping", [cat(anthropicStart, anthropicPing, rawChunkFrame('{ "type": "error", "error": { "type": "rate_limit_error", "message": "Slow down." } }'))], { status: 429, kind: 'rate_limit', code: 'rate_limit_error', message: 'Slow down.' }],
    ["Claude's error event pretty-printed, its type last", [cat(anthropicStart, rawChunkFrame('{\n  "error": {\n    "message": "Overloaded",\n    "type": "overloaded_error"\n  },\n  "type": "error"\n}'))], { status: 503, kind: 'overloaded', code: 'overloaded_error' }],
    ["Claude's error event as the stream's first frame, its type last", [chunkFrame({ error: { type: 'api_error', message: 'Internal server error' }, type: 'error' })], { status: 502, kind: 'upstream_error', code: 'api_error' }],
    ['a chunk whose base64 is no JSON, after message_start (its reader reports it broken)', [cat(anthropicStart, eventFrame('chunk', { bytes: Buffer.from('{"type":"error"').toString('base64') }))], undefined],
    ["Claude's error event after content_block_start (relayed in-band)", [cat(anthropicStart, chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), chunkFrame({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))], undefined],
    // Frames the relays skip (nothing of them reaches the client) are looked past.
    ["throttlingException after a chunk whose type cannot be an event name", [cat(anthropicStart, chunkFrame({ type: 'content block' }), exception('throttlingException'))], { status: 429, kind: 'rate_limit' }],
    ['internalServerException after an event type Bedrock adds later', [cat(messageStart, eventFrame('futureEvent', {}), exception('internalServerException'))], { status: 500, kind: 'upstream_error' }],
    // The answer had started: relayed in-band, not read here.
    ['an exception after a content block', [cat(messageStart, blockStart, exception('throttlingException'))], undefined],
    ["an exception after Anthropic's content_block_start", [cat(anthropicStart, chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), exception('throttlingException'))], undefined],
    // Nothing to read.
    ['messageStart alone', [messageStart], undefined],
    ['a tool named like an exception', [cat(messageStart, blockStart)], undefined],
    ['a whole answer in one read whose text says "exception"', [cat(messageStart, ...Array.from({ length: 20 }, () => eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'catch the exception ' } })), eventFrame('messageStop', { stopReason: 'end_turn' }))], undefined],
    ['an exception not whole yet', [cat(messageStart, exception('throttlingException').subarray(0, 30))], undefined],
    ['a broken frame', [Buffer.concat([Buffer.from([0, 0, 0, 40]), Buffer.alloc(36, 0x65), Buffer.from('exception')])], undefined],
    ['nothing', [], undefined],
  ])('%s', (_what, chunks, expected) => {
    // Act
    const failure = earlyFrameFailure(chunks.map((chunk) => Buffer.from(chunk)), 'aws');

    // Assess
    if (expected === undefined) expect(failure).toBeUndefined();
    else expect(failure).toMatchObject(expected);
  });

  // Claude's error event is looked for by the base64 of `"error"`, whose bytes depend on its offset mod 3 in the event's JSON.
  const ERROR_MARK = Buffer.from(Buffer.from('{"type":"error"').toString('base64'));
  const claudeError = (message: string) => chunkFrame({ type: 'error', error: { type: 'overloaded_error', message } });
  const claudeErrorTypeLast = (message: string) => chunkFrame({ error: { type: 'overloaded_error', message }, type: 'error' });

  it.each([
    ['a message of a length 0 mod 3', 'Overloaded'],
    ['a message of a length 1 mod 3', 'Overloaded.'],
    ['a message of a length 2 mod 3', 'Overloaded..'],
  ])("finds Claude's error event whatever stands around its type (%s), its type first or last, after message_start, with or without ping", (_case, message) => {
    for (const error of [claudeError(message), claudeErrorTypeLast(message)]) {
      for (const held of [cat(anthropicStart, error), cat(anthropicStart, anthropicPing, error), cat(error)]) {
        // Act
        const failure = earlyFrameFailure([held], 'aws');

        // Assess
        expect(failure).toMatchObject({ status: 503, kind: 'overloaded', message });
      }
    }
  });

  it.each(['', ' ', '  '])('does not fail over on a text delta quoting an error event whose type is last, at each alignment (pad %j)', (pad) => {
    // Prepare: the quoted `"error"` escaped as JSON writes it, at offsets 0, 1 and 2 mod 3.
    const delta = chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `${pad}{"error":{},"type":"error"}` } });

    // Act
    const failure = earlyFrameFailure([cat(anthropicStart, delta, claudeError('Overloaded'))], 'aws');

    // Assess
    expect(failure).toBeUndefined();
  });

  it('does not fail over on a text delta that quotes an error event in its text (escaped in the JSON: no marker)', () => {
    // Prepare
    const delta = chunkFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '{"type":"error","error":{"type":"overloaded_error"}}' } });

    // Act
    const failure = earlyFrameFailure([cat(anthropicStart, delta, claudeError('Overloaded'))], 'aws');

    // Assess
    expect(failure).toBeUndefined();
  });

  it('does not fail over on a chunk that holds `{"type":"error"` at an aligned offset without being an error event (the decoded type decides)', () => {
    // Prepare: a tool's input `{"type":"error"}` at each alignment, until its base64 holds the marker.
    const blocks = ['t', 'tt', 'ttt'].map((id) => chunkFrame({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id, name: 'report', input: { type: 'error' } } }));
    const aligned = blocks.find((frame) => Buffer.from(frame).includes(ERROR_MARK));
    expect(aligned).toBeDefined();

    // Act
    const failure = earlyFrameFailure([cat(anthropicStart, aligned!, claudeError('Overloaded'))], 'aws');

    // Assess
    expect(failure).toBeUndefined();
  });

  it("keeps the operator's AWS account out of the words, as the mid-stream reader does", () => {
    // Act
    const failure = earlyFrameFailure([Buffer.from(exception('throttlingException', 'Rate exceeded for arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5.'))], 'aws');

    // Assess
    expect(failure?.message).toBe('Rate exceeded for arn:aws:bedrock:…:inference-profile/….');
    expect(failure?.detail).toContain('123456789012');
  });
});

describe('earlyElementFailure', () => {
  const googleError = (code: number, status: string, message: string) => `{\n  "error": {\n    "code": ${code},\n    "message": "${message}",\n    "status": "${status}"\n  }\n}\n`;
  const CHUNK = '{\n  "candidates": [{"content": {"parts": [{"text": "Hi"}], "role": "model"}, "index": 0}]\n}\n';

  it.each<[string, readonly string[], { status: number; kind: string } | undefined]>([
    ["Google's UNAVAILABLE as the first element", [`[${googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.')}]`], { status: 503, kind: 'overloaded' }],
    ["Google's RESOURCE_EXHAUSTED", [`[${googleError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).')}]`], { status: 429, kind: 'rate_limit' }],
    // Google's reader takes its 500 INTERNAL for the 503 it usually is.
    ['INTERNAL, cut across chunks', (() => {
      const text = `[${googleError(500, 'INTERNAL', 'An internal error has occurred.')}]`;
      return [text.slice(0, 7), text.slice(7, 30), text.slice(30)];
    })(), { status: 503, kind: 'overloaded' }],
    ["Google's 504 DEADLINE_EXCEEDED", [`[${googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.')}]`], { status: 504, kind: 'upstream_timeout' }],
    ['an error after an answer chunk: the answer had started', [`[${CHUNK},\r\n${googleError(503, 'UNAVAILABLE', 'x')}]`], undefined],
    ['an answer chunk that says "error"', [`[{"candidates": [{"content": {"parts": [{"text": "\\"error\\""}]}}]}`], undefined],
    ['a function named "error"', ['[{"candidates": [{"content": {"parts": [{"functionCall": {"name": "error", "args": {}}}]}}]}'], undefined],
    ['an error element not whole yet', ['[{"error": {"code": 503'], undefined],
    ['nothing', [], undefined],
  ])('%s', (_what, chunks, expected) => {
    // Act
    const failure = earlyElementFailure(chunks.map((chunk) => Buffer.from(chunk)), 'google');

    // Assess
    if (expected === undefined) expect(failure).toBeUndefined();
    else expect(failure).toMatchObject(expected);
  });
});
