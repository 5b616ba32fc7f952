/**
 * The Responses API's `local_shell` tool as a function tool, for targets that only have those.
 * `local_shell` is a built-in tool whose calls the client runs (Codex with codex-mini): the model
 * asks for an `exec` action and the client answers with the command's output. Translated, it
 * becomes a function `local_shell` taking the command as an argv array (with a working directory
 * and a timeout, as the action has them); `local_shell_call` items go up as calls of it, and its
 * calls come back as `local_shell_call` items, so the client runs them as it would OpenAI's.
 */
import type { ToolDefinition } from '../../canonical/types';
import { isName, isObject, isText, type Json } from '../../http/json-checks';
import { invalidField } from './request';

/** The name the tool has, as a built-in and as the function it becomes. */
export const LOCAL_SHELL = 'local_shell';

/** The function the built-in `local_shell` tool becomes. */
export const localShellTool = (): ToolDefinition => ({
  name: LOCAL_SHELL,
  description: "Runs a command on the user's machine and returns its output. The command is passed to execvp(): run shell syntax as [\"bash\", \"-lc\", \"<script>\"].",
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'array', items: { type: 'string' }, description: 'The program and its arguments.' },
      workdir: { type: 'string', description: 'The working directory to run the command in.' },
      timeout_ms: { type: 'integer', description: 'The timeout for the command, in milliseconds.' },
    },
    required: ['command'],
  },
});

/** The `exec` action of a `local_shell_call` item, as the client sends it back and as the gateway writes it. */
export interface LocalShellAction {
  type: 'exec';
  command: string[];
  working_directory?: string;
  timeout_ms?: number;
  env: Record<string, string>;
}

const isArgv = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every(isText);

/** A timeout Codex can read: it parses `timeout_ms` as a u64 and drops an item with any other number, the call with it. */
const isTimeout = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * A `local_shell_call` item's action as the arguments of the function call it becomes. Throws a
 * 400 naming the field when the action is not an `exec` with a command.
 *
 * @example
 * localShellCallArguments({ type: 'exec', command: ['ls'], working_directory: '/repo', env: {} }, 'input[4].action');
 * // → '{"command":["ls"],"workdir":"/repo"}'
 */
export function localShellCallArguments(action: unknown, path: string): string {
  if (!isObject(action)) throw invalidField(path, 'expected an object.');
  if (action.type !== 'exec') throw invalidField(`${path}.type`, "expected 'exec'.");
  if (!isArgv(action.command)) throw invalidField(`${path}.command`, 'expected a non-empty array of strings.');
  return JSON.stringify({
    command: action.command,
    ...(isName(action.working_directory) ? { workdir: action.working_directory } : {}),
    ...(typeof action.timeout_ms === 'number' ? { timeout_ms: action.timeout_ms } : {}),
  });
}

/**
 * The action of a `local_shell_call` from the arguments the model gave the function, or
 * undefined when they name no command (the call then goes back as the function call it was,
 * and the client tells the model it cannot run it).
 */
export function localShellAction(args: string): LocalShellAction | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !isArgv(parsed.command)) return undefined;
  return {
    type: 'exec',
    command: parsed.command,
    ...(isName(parsed.workdir) ? { working_directory: parsed.workdir } : {}),
    ...(isTimeout(parsed.timeout_ms) ? { timeout_ms: parsed.timeout_ms } : {}),
    env: {},
  };
}

/** The call id of a `local_shell_call` or its output: `call_id`, or `id` where the item has no `call_id` (OpenAI's output item names the call by `id`). */
export function localShellCallId(item: Json): unknown {
  return item.call_id ?? item.id;
}
