/** Fixed so that listings are stable across instances and restarts (Anthropic lists an RFC 3339 time). */
export const MODEL_CREATED_AT = '2025-01-01T00:00:00Z';

export interface AnthropicModelList {
  data: { type: 'model'; id: string; display_name: string; created_at: string }[];
  has_more: false;
  first_id: string | null;
  last_id: string | null;
}

/**
 * Model names in the shape of Anthropic's `GET /v1/models` (what Claude Code reads). The gateway
 * lists everything on one page, so `has_more` is always false.
 *
 * @example
 * anthropicModelList(['claude-sonnet-4-5'])
 * // { data: [{ type: 'model', id: 'claude-sonnet-4-5', display_name: 'claude-sonnet-4-5', created_at: '2025-01-01T00:00:00Z' }], has_more: false, first_id: 'claude-sonnet-4-5', last_id: 'claude-sonnet-4-5' }
 */
export function anthropicModelList(names: string[]): AnthropicModelList {
  return {
    data: names.map((id) => ({ type: 'model', id, display_name: id, created_at: MODEL_CREATED_AT })),
    has_more: false,
    first_id: names[0] ?? null,
    last_id: names.at(-1) ?? null,
  };
}
