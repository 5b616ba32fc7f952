/** OpenAI's (legacy) Completions API as code-completion clients send it: the request check. */
export { parseCompletionsRequest, type CompletionsPrompt, type CompletionsRequest } from './request';
