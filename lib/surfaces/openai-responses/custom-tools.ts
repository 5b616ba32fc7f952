/**
 * Custom (freeform) tools of the Responses API as function tools, for targets that only have
 * those. A custom tool takes raw text (Codex's `apply_patch` takes the patch), optionally
 * constrained by a grammar; translated, it becomes a function taking that text as its one
 * string argument, `input`, with the grammar in its description so the model still knows the
 * format. Its calls go up as function calls whose arguments are `{"input": …}` and come back to
 * the client as `custom_tool_call` items carrying the text, so the client dispatches them to
 * the tool it declared.
 */
import type { ToolDefinition } from '../../canonical/types';
import { isName, isObject, isText, type Json } from '../../http/json-checks';
import { invalidField } from './request';

/** The one argument a custom tool becomes a function of. */
export const FREEFORM_PARAMETERS: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw text input of this freeform tool, exactly as the tool expects it (not JSON-encoded).' } },
  required: ['input'],
});

/**
 * A `{ type: 'custom' }` tool as a function tool taking `input`. Throws a 400 naming the field
 * when it has no name or a format that is neither text nor a grammar.
 *
 * @example
 * freeformTool({ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: …' } }, 'tools[2]');
 * // → { name: 'apply_patch', description: 'Edit files.\n\nThe input must match this lark grammar:\nstart: …', parameters: FREEFORM_PARAMETERS }
 */
export function freeformTool(tool: Json, path: string): ToolDefinition {
  if (!isName(tool.name)) throw invalidField(`${path}.name`, 'expected a non-empty string.');
  const about = isText(tool.description) ? tool.description : '';
  const grammar = grammarOf(tool.format, `${path}.format`);
  const description = [about, grammar && `The input must match this ${grammar.syntax} grammar:\n${grammar.definition}`].filter(Boolean).join('\n\n');
  return { name: tool.name, ...(description ? { description } : {}), parameters: structuredClone(FREEFORM_PARAMETERS) as Record<string, unknown> };
}

function grammarOf(format: unknown, path: string): { syntax: string; definition: string } | undefined {
  if (format == null) return undefined;
  if (!isObject(format)) throw invalidField(path, 'expected an object.');
  if (format.type === 'text') return undefined;
  if (format.type !== 'grammar') throw invalidField(`${path}.type`, "expected 'text' or 'grammar'.");
  if (!isName(format.syntax)) throw invalidField(`${path}.syntax`, "expected 'lark' or 'regex'.");
  if (!isName(format.definition)) throw invalidField(`${path}.definition`, 'expected the grammar as a non-empty string.');
  return { syntax: format.syntax, definition: format.definition };
}

/** A custom tool call's text as the arguments of the function call it becomes. */
export const customCallArguments = (input: string): string => JSON.stringify({ input });

/**
 * The text of a custom tool call from the arguments the model gave the function: its `input`
 * when they are the object asked for; otherwise the arguments as they came, since the raw text
 * is the best guess at what the model meant, and the tool reports what it cannot use.
 */
export function customCallInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (isObject(parsed) && typeof parsed.input === 'string') return parsed.input;
  } catch {
    // Not JSON: the raw text, below.
  }
  return args;
}
