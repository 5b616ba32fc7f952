/**
 * The field a translator's refusal names: part `j` of message `i` of the canonical request, or
 * part `k` of that part's tool result. Translators build it only when they refuse, so a request
 * that goes through builds no path; a refusal quotes it in its message too, where a surface renames
 * it to the client's own field (`lib/surfaces/error-fields.ts`).
 *
 * @example
 * partPath(2, 0)    // 'messages[2].content[0]'
 * partPath(2, 0, 1) // 'messages[2].content[0].content[1]'
 */
export function partPath(i: number, j: number, k?: number): string {
  return k === undefined ? `messages[${i}].content[${j}]` : `messages[${i}].content[${j}].content[${k}]`;
}
