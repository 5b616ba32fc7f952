import { GatewayError } from '../../http/errors';
import { customCallArguments, customCallInput, freeformTool, FREEFORM_PARAMETERS } from './custom-tools';

const LARK = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\n';

describe('freeformTool', () => {
  const cases: { name: string; tool: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      name: "makes Codex's apply_patch a function of one string, its lark grammar after its description",
      tool: { type: 'custom', name: 'apply_patch', description: 'Use the `apply_patch` tool to edit files. This is a FREEFORM tool.', format: { type: 'grammar', syntax: 'lark', definition: LARK } },
      expected: { name: 'apply_patch', description: `Use the \`apply_patch\` tool to edit files. This is a FREEFORM tool.\n\nThe input must match this lark grammar:\n${LARK}`, parameters: FREEFORM_PARAMETERS },
    },
    {
      name: 'keeps the description alone for a text format',
      tool: { type: 'custom', name: 'note', description: 'Writes a note.', format: { type: 'text' } },
      expected: { name: 'note', description: 'Writes a note.', parameters: FREEFORM_PARAMETERS },
    },
    {
      name: 'describes only the grammar when the tool has no description (a regex grammar too)',
      tool: { type: 'custom', name: 'digits', format: { type: 'grammar', syntax: 'regex', definition: '^\\d+$' } },
      expected: { name: 'digits', description: 'The input must match this regex grammar:\n^\\d+$', parameters: FREEFORM_PARAMETERS },
    },
    {
      name: 'has no description when there is neither description nor format',
      tool: { type: 'custom', name: 'raw' },
      expected: { name: 'raw', parameters: FREEFORM_PARAMETERS },
    },
  ];

  it.each(cases)('$name', ({ tool, expected }) => {
    expect(freeformTool(tool, 'tools[0]')).toEqual(expected);
  });

  const refusals: { name: string; tool: Record<string, unknown>; param: string }[] = [
    { name: 'no name', tool: { type: 'custom' }, param: 'tools[3].name' },
    { name: 'a format that is not an object', tool: { type: 'custom', name: 'x', format: 'lark' }, param: 'tools[3].format' },
    { name: 'an unknown format type', tool: { type: 'custom', name: 'x', format: { type: 'json' } }, param: 'tools[3].format.type' },
    { name: 'a grammar without syntax', tool: { type: 'custom', name: 'x', format: { type: 'grammar', definition: LARK } }, param: 'tools[3].format.syntax' },
    { name: 'a grammar without definition', tool: { type: 'custom', name: 'x', format: { type: 'grammar', syntax: 'lark' } }, param: 'tools[3].format.definition' },
  ];

  it.each(refusals)('refuses a custom tool with $name, naming $param', ({ tool, param }) => {
    const err = (() => {
      try {
        freeformTool(tool, 'tools[3]');
      } catch (e) {
        return e;
      }
    })();

    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, param });
  });

  it('gives each tool its own parameters object, so a translator that changes one changes no other', () => {
    const a = freeformTool({ type: 'custom', name: 'a' }, 'tools[0]');
    const b = freeformTool({ type: 'custom', name: 'b' }, 'tools[1]');

    expect(a.parameters).not.toBe(b.parameters);
    expect(a.parameters).not.toBe(FREEFORM_PARAMETERS);
  });
});

describe('custom call arguments and input', () => {
  const PATCH = '*** Begin Patch\n*** Add File: a.txt\n+"quoted"\n*** End Patch\n';

  const cases: { name: string; args: string; expected: string }[] = [
    { name: 'takes `input` from the arguments the model gave', args: JSON.stringify({ input: PATCH }), expected: PATCH },
    { name: 'takes an empty input as empty', args: '{"input":""}', expected: '' },
    { name: 'keeps arguments that are not JSON as the text', args: '*** Begin Patch', expected: '*** Begin Patch' },
    { name: 'keeps JSON without a string `input` as the text', args: '{"patch":"x"}', expected: '{"patch":"x"}' },
    { name: 'keeps a JSON string as the text it is', args: '"x"', expected: '"x"' },
  ];

  it.each(cases)('$name', ({ args, expected }) => {
    expect(customCallInput(args)).toBe(expected);
  });

  it('round-trips any text through the arguments', () => {
    expect(customCallInput(customCallArguments(PATCH))).toBe(PATCH);
    expect(JSON.parse(customCallArguments(PATCH))).toEqual({ input: PATCH });
  });
});
