import { createHash } from 'node:crypto';

const VALID_ID = /^[a-zA-Z0-9_-]+$/;

/**
 * A tool-call id Anthropic accepts (`^[a-zA-Z0-9_-]+$`). Ids from other providers may carry
 * dots, colons or pipes; those characters become `_` and a short hash of the original is
 * appended, so two ids that differ only in such characters stay distinct. The same function
 * serves `tool_use.id` and `tool_result.tool_use_id`, which is what keeps a pair matched.
 *
 * @example
 * anthropicToolId('toolu_01A') // 'toolu_01A'
 * anthropicToolId('call.1')    // 'call_1_<8 hex>'
 */
export function anthropicToolId(id: string): string {
  if (VALID_ID.test(id)) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
  const cleaned = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned ? `${cleaned}_${hash}` : `toolu_${hash}`;
}
