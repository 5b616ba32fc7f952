import type OpenAI from 'openai';
import { rendezvousOrder, stickyKeyOf } from '../../lib/routing/sticky';

/** The three OpenAI accounts of the stored-responses suites' pool. */
export const POOL_ACCOUNTS = ['one', 'two', 'three'] as const;
export type PoolAccount = (typeof POOL_ACCOUNTS)[number];

/** The account a Responses call of this body tries first, by its sticky key (every instance computes the same). */
export function firstAccountFor(body: Record<string, unknown>): PoolAccount {
  return rendezvousOrder(POOL_ACCOUNTS.map((id) => ({ id, weight: 1 })), stickyKeyOf('openai-responses', {}, body)!)[0]!.id as PoolAccount;
}

/**
 * An opening input whose account is not the one a continuation saying `next` would be sent to by
 * its own sticky key: so only the memory, the table or asking finds the account that holds its response.
 */
export function openingAwayFrom(model: string, next: string): string {
  const continuation = firstAccountFor({ model, input: next, previous_response_id: 'resp_x' });
  return Array.from({ length: 30 }, (_, n) => `Task ${n}: plan the migration.`).find((input) => firstAccountFor({ model, input }) !== continuation)!;
}

/** A streamed Responses answer read to its end: the response's id and its text. */
export async function streamedResponse(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>): Promise<{ id: string; text: string }> {
  let id = '';
  let text = '';
  for await (const event of stream) {
    if (event.type === 'response.created') id = event.response.id;
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  return { id, text };
}
