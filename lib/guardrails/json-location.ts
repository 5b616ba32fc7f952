/**
 * Where offsets of a JSON text (or of its bytes, one per character) lie: in which string, at which param path (`messages[3].content`),
 * and whether cutting there would split an escape. One walk over the text, made only when a rule
 * has matched (the text is valid JSON by then or the call is refused anyway: a walk over invalid
 * JSON answers "not in a string").
 */

export interface Location {
  /** The param path of the string holding the offset, as errors name fields; undefined outside any string. */
  path?: string;
  /** Index (in the text) of the opening quote of the string holding the offset. */
  string?: number;
  /** The offset falls inside an escape (`\n`, `\u00e9`): replacing from or to it would break the JSON. */
  midEscape?: boolean;
}

type Frame = { array: true; index: number } | { array: false; key: string | undefined };

/**
 * The location of each offset (ascending) in `text`.
 *
 * @example
 * locate('{"messages":[{"content":"a AKIA…"}]}', [27]) // [{ path: 'messages[0].content', string: 24 }]
 */
export function locate(text: string, offsets: readonly number[]): Location[] {
  const out: Location[] = offsets.map(() => ({}));
  const stack: Frame[] = [];
  let expectKey = false;
  let next = 0; // the first offset not yet placed
  const n = text.length;
  for (let i = 0; i < n && next < offsets.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const open = i;
      i = stringEnd(text, i + 1);
      const isKey = expectKey && stack.length > 0 && !stack[stack.length - 1]!.array;
      // A match inside an object key is placed at the object: the key would carry the match into the error's param and message.
      if (isKey) (stack[stack.length - 1] as { key: string | undefined }).key = undefined;
      // Escapes are read once per string, from one offset to the next.
      let cursor = open + 1;
      while (next < offsets.length && offsets[next]! <= i) {
        const at = offsets[next]!;
        // An offset on the closing quote is the end of a match that ends with the string: still inside it.
        if (at > open) {
          let mid = false;
          while (cursor < at) {
            if (text.charCodeAt(cursor) !== 0x5c /* \ */) {
              cursor++;
              continue;
            }
            const width = text.charCodeAt(cursor + 1) === 0x75 /* u */ ? 6 : 2;
            if (at < cursor + width) {
              mid = true;
              break;
            }
            cursor += width;
          }
          out[next] = { path: pathOf(stack), string: open, ...(mid ? { midEscape: true } : {}) };
        }
        next++;
      }
      // The key names the place of what follows it.
      if (isKey) (stack[stack.length - 1] as { key: string | undefined }).key = keyText(text.slice(open, i + 1));
      continue;
    }
    while (next < offsets.length && offsets[next]! <= i) next++;
    expectKey = structure(c, stack) ?? expectKey;
  }
  return out;
}

/** A scalar value of a JSON text at a param path: a string's text `from` its first character `to` its closing quote, or a literal's or number's characters. */
export interface ValueAt {
  path: string;
  from: number;
  to: number;
  string: boolean;
}

/**
 * The scalar values of `text` under one of `keys` whose param path `wanted` takes, in order: one
 * walk over the text, as `locate` makes, for the few fields a redaction elsewhere changes too (a
 * signature) or reads (a flag beside it). Only those values' paths are made (most of a body's
 * strings are under other keys: half the cost of the walk, on a 100 KB body, is paths).
 *
 * @example
 * valuesAt('{"a":[{"s":"x","t":true}]}', new Set(['s', 't']), (path) => path.startsWith('a[0].')) // [{ path: 'a[0].s', from: 12, to: 13, string: true }, { path: 'a[0].t', from: 19, to: 23, string: false }]
 */
export function valuesAt(text: string, keys: ReadonlySet<string>, wanted: (path: string) => boolean): ValueAt[] {
  const out: ValueAt[] = [];
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const open = i;
      i = stringEnd(text, i + 1);
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        top.key = keyText(text.slice(open, i + 1));
        continue;
      }
      const path = underKey(stack, keys);
      if (path !== undefined && wanted(path)) out.push({ path, from: open + 1, to: i, string: true });
      continue;
    }
    const structural = structure(c, stack);
    if (structural !== undefined) expectKey = structural;
    else if (c > 0x20 /* not whitespace: a number, true, false or null */) {
      const start = i;
      while (i + 1 < text.length && !SCALAR_END.test(text[i + 1]!)) i++;
      const path = underKey(stack, keys);
      if (path !== undefined && wanted(path)) out.push({ path, from: start, to: i + 1, string: false });
    }
  }
  return out;
}

/**
 * One structural character of a JSON text (`{ [ } ] , :`) applied to the stack of open containers:
 * whether a key comes next, or undefined for any other character (the stack then untouched).
 */
function structure(c: number, stack: Frame[]): boolean | undefined {
  switch (c) {
    case 0x7b /* { */:
      stack.push({ array: false, key: undefined });
      return true;
    case 0x5b /* [ */:
      stack.push({ array: true, index: 0 });
      return false;
    case 0x7d /* } */:
    case 0x5d /* ] */:
      stack.pop();
      return false;
    case 0x2c /* , */: {
      const top = stack[stack.length - 1];
      if (top?.array) {
        top.index++;
        return false;
      }
      return true;
    }
    case 0x3a /* : */:
      return false;
    default:
      return undefined;
  }
}

/** The path of a value whose own key is one of `keys`; undefined for any other. */
function underKey(stack: readonly Frame[], keys: ReadonlySet<string>): string | undefined {
  const top = stack[stack.length - 1];
  return top && !top.array && top.key !== undefined && keys.has(top.key) ? pathOf(stack) : undefined;
}

/** What ends a number or a literal. */
const SCALAR_END = /[,\]}\s]/;

/** Index of the quote that closes the string whose first character is at `from`. */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

/** An object key as text: the scan's text holds a body's bytes one per character, so a non-ASCII key is decoded from them. */
function keyText(quoted: string): string {
  const ascii = /^[\x00-\x7f]*$/.test(quoted);
  return JSON.parse(ascii ? quoted : Buffer.from(quoted, 'latin1').toString('utf8')) as string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pathOf(stack: readonly Frame[]): string {
  let path = '';
  for (const frame of stack) path += segment(frame.array ? frame.index : frame.key, path === '');
  return path;
}

/** One step of a param path: `[2]`, `.content`, `["x-note"]` (no dot first). */
export function segment(part: string | number | undefined, first: boolean): string {
  if (part === undefined) return '';
  if (typeof part === 'number') return `[${part}]`;
  if (IDENTIFIER.test(part)) return first ? part : `.${part}`;
  return `[${JSON.stringify(part)}]`;
}
