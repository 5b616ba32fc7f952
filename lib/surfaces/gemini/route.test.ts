import { geminiPath } from './route';

describe('geminiPath', () => {
  it.each([
    ['/v1beta/models/gemini-2.5-flash:generateContent', { model: 'gemini-2.5-flash', action: 'generateContent' }],
    ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', { model: 'gemini-2.5-flash', action: 'streamGenerateContent' }],
    ['/v1/models/gemini-2.5-flash:countTokens', { model: 'gemini-2.5-flash', action: 'countTokens' }],
    ['/v1beta/models/openai/gpt-4o:generateContent', { model: 'openai/gpt-4o', action: 'generateContent' }],
    ['/v1beta/models/openai%2Fgpt-4o:generateContent', { model: 'openai/gpt-4o', action: 'generateContent' }],
    ['/v1beta/models/anthropic.claude-v2:1:generateContent', { model: 'anthropic.claude-v2:1', action: 'generateContent' }],
    ['/v1beta/models/anthropic.claude-v2:1', { model: 'anthropic.claude-v2:1', action: undefined }],
    ['/v1beta/models/gemini-2.5-flash', { model: 'gemini-2.5-flash', action: undefined }],
  ])('reads %s', (path, expected) => {
    expect(geminiPath(path)).toEqual(expected);
  });

  it.each(['/v1/models/gpt-4o', '/v1beta/models/', '/v1/chat/completions', '/v1beta/models/%E0%A4%A:generateContent', '/v1beta/models/:generateContent'])('leaves %s to other routes', (path) => {
    expect(geminiPath(path)).toBeUndefined();
  });
});
