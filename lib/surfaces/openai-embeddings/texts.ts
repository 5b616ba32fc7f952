import { GatewayError } from '../../http/errors';
import type { EmbeddingsInput } from './request';

/**
 * The texts of an embeddings input, for upstreams that embed text only. Token ids are OpenAI's
 * tokenizer's and mean nothing to another provider's model, so token arrays are refused.
 */
export function embeddingsTexts(input: EmbeddingsInput, providerType: string): string[] {
  if (typeof input === 'string') return [input];
  if (input.every((item): item is string => typeof item === 'string')) return input;
  throw new GatewayError('invalid_request', `Token arrays in 'input' cannot be embedded by provider type ${providerType} (its model has another tokenizer); send the text instead.`, {
    param: 'input',
    code: 'unsupported_parameter',
  });
}
