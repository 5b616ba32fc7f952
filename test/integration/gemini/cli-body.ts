/**
 * A request body in the shape Gemini CLI sends to `:streamGenerateContent?alt=sse` (written for
 * these tests from its documented request: the system prompt as a `systemInstruction` Content,
 * a session-context turn and its acknowledgement first, its built-in tools as function
 * declarations with `parametersJsonSchema`, thinking on with thought summaries, and a tool loop
 * whose functionResponse carries the call's id and an `output`). Not a capture: the wording is ours.
 */

const TOOL_NAMES = [
  'list_directory',
  'read_file',
  'search_file_content',
  'glob',
  'replace',
  'write_file',
  'web_fetch',
  'read_many_files',
  'run_shell_command',
  'save_memory',
  'google_web_search',
  'write_todos',
] as const;

/** One declaration per tool, each with a small JSON Schema of its own (paths, patterns, flags). */
function declaration(name: (typeof TOOL_NAMES)[number], i: number) {
  return {
    name,
    description: `The ${name.replaceAll('_', ' ')} tool. Use it when the task needs it; paths are absolute.`,
    parametersJsonSchema: {
      type: 'object',
      properties: {
        [i % 2 === 0 ? 'path' : 'pattern']: { type: 'string', description: 'An absolute path or a glob pattern.' },
        ...(i % 3 === 0 ? { respect_git_ignore: { type: 'boolean', description: 'Skip files git ignores.' } } : {}),
        ...(name === 'write_todos' ? { todos: { type: 'array', items: { type: 'object', properties: { description: { type: 'string' }, status: { type: 'string', enum: ['pending', 'in_progress', 'completed'] } }, required: ['description', 'status'] } } } : {}),
      },
      required: [i % 2 === 0 ? 'path' : 'pattern'],
    },
  };
}

export const CLI_SYSTEM_PROMPT = [
  'You are an interactive CLI agent specializing in software engineering tasks.',
  'Your primary goal is to help users safely and efficiently, adhering strictly to the following instructions and utilizing your available tools.',
  '# Core Mandates',
  '- Conventions: rigorously adhere to existing project conventions when reading or modifying code.',
  '- Libraries: never assume a library is available; verify its established usage first.',
].join('\n');

export const CLI_TOOL_COUNT = TOOL_NAMES.length;

/** The CLI's body for the second request of a tool loop: the model asked for list_directory, the CLI answers it. */
export function geminiCliBody(): Record<string, unknown> {
  return {
    contents: [
      { role: 'user', parts: [{ text: 'This is the Gemini CLI. We are setting up the context for our chat.\nToday\'s date is Thursday, November 26, 2026.\nMy operating system is: linux\nI\'m currently working in the directory: /home/dev/app' }] },
      { role: 'model', parts: [{ text: 'Got it. Thanks for the context!' }] },
      { role: 'user', parts: [{ text: 'What is in this folder?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Listing the directory first.', thought: true },
          { functionCall: { id: 'list_directory-1764186000000-a1b2c3', name: 'list_directory', args: { path: '/home/dev/app' } }, thoughtSignature: 'CiQB0e2Kb-signature' },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { id: 'list_directory-1764186000000-a1b2c3', name: 'list_directory', response: { output: 'Directory listing for /home/dev/app:\n[DIR] src\npackage.json\nREADME.md' } } }] },
    ],
    systemInstruction: { role: 'user', parts: [{ text: CLI_SYSTEM_PROMPT }] },
    tools: [{ functionDeclarations: TOOL_NAMES.map(declaration) }],
    generationConfig: { temperature: 0, topP: 1, thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } },
  };
}
