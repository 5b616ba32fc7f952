const compiled = new Map<string, RegExp>();

/** `gpt-4o*` style patterns: `*` is any run of characters, everything else literal. */
function toRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    re = new RegExp(`^${body}$`);
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether a key with these model patterns may use `model`. */
export function modelAllowed(patterns: readonly string[], model: string): boolean {
  for (const p of patterns) if (p === '*' || p === model || toRegExp(p).test(model)) return true;
  return false;
}
