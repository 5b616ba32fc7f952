import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startStack, TRANSLATED, type Stack } from './claude-code/stack';

/** Provider errors reach each client in its own error shape, with the status it expects. */
describe('upstream errors through both surfaces', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => s.close());
  beforeEach(() => s.resetFakes());

  const ask = { max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('keeps an Anthropic 429 a 429 with its retry-after, for an Anthropic client', async () => {
    s.anthropic.reply({ kind: 'error', status: 429, headers: { 'retry-after': '7' } });

    const err = await s.anthropicClient().messages.create({ model: 'claude-sonnet-4-20250514', ...ask }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as InstanceType<typeof Anthropic.APIError>).headers?.get('retry-after')).toBe('7');
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('turns an overloaded 529 into a 503 in Anthropic’s shape', async () => {
    s.anthropic.reply({ kind: 'error', status: 529 });

    const err = await s.anthropicClient().messages.create({ model: 'claude-sonnet-4-20250514', ...ask }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(err).toMatchObject({ status: 503, error: { error: { type: 'overloaded_error' } } });
  });

  it('reports Gemini’s 429, whose retry delay is only in its body, as a retry-after to an OpenAI client', async () => {
    s.gemini.reply({ kind: 'error', status: 429, retryDelay: '17s' });

    const err = await s.openaiClient().chat.completions.create({ model: TRANSLATED.gemini.name, messages: ask.messages }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('17');
  });

  it('reports Bedrock throttling as a 429 to an Anthropic client', async () => {
    s.bedrock.reply({ kind: 'error', status: 429, type: 'ThrottlingException' });

    const err = await s.anthropicClient().messages.create({ model: TRANSLATED.bedrock.name, ...ask }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
  });

  it('passes an OpenAI 400 to an Anthropic client as an invalid_request_error with the provider’s message', async () => {
    s.openai.reply({ kind: 'error', status: 400, body: { error: { message: 'Invalid schema for function', type: 'invalid_request_error', param: 'tools', code: 'invalid_function_parameters' } } });

    const err = await s.anthropicClient().messages.create({ model: TRANSLATED.openai.name, ...ask }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err).toMatchObject({ error: { error: { type: 'invalid_request_error', message: 'Invalid schema for function' } } });
  });
});
