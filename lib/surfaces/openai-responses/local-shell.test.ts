import { GatewayError } from '../../http/errors';
import { localShellAction, localShellCallArguments, localShellCallId, localShellTool } from './local-shell';

describe('localShellCallArguments', () => {
  const cases: { name: string; action: Record<string, unknown>; expected: Record<string, unknown> }[] = [
    {
      name: "takes Codex's exec action: the command, its working directory and timeout (env and user have no argument)",
      action: { type: 'exec', command: ['bash', '-lc', 'ls'], working_directory: '/repo', timeout_ms: 10000, env: { A: '1' }, user: null },
      expected: { command: ['bash', '-lc', 'ls'], workdir: '/repo', timeout_ms: 10000 },
    },
    { name: 'takes a bare command', action: { type: 'exec', command: ['pwd'] }, expected: { command: ['pwd'] } },
    { name: 'leaves out a null working directory and timeout', action: { type: 'exec', command: ['pwd'], working_directory: null, timeout_ms: null }, expected: { command: ['pwd'] } },
  ];

  it.each(cases)('$name', ({ action, expected }) => {
    expect(JSON.parse(localShellCallArguments(action, 'input[0].action'))).toEqual(expected);
  });

  const refusals: { name: string; action: unknown; param: string }[] = [
    { name: 'no action', action: undefined, param: 'input[4].action' },
    { name: 'an action that is not exec', action: { type: 'spawn', command: ['ls'] }, param: 'input[4].action.type' },
    { name: 'an empty command', action: { type: 'exec', command: [] }, param: 'input[4].action.command' },
    { name: 'a command given as one string', action: { type: 'exec', command: 'ls -a' }, param: 'input[4].action.command' },
  ];

  it.each(refusals)('refuses $name, naming $param', ({ action, param }) => {
    const err = (() => {
      try {
        localShellCallArguments(action, 'input[4].action');
      } catch (e) {
        return e;
      }
    })();

    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, param });
  });
});

describe('localShellAction', () => {
  const cases: { name: string; args: string; expected: unknown }[] = [
    {
      name: 'makes the exec action Codex runs from the arguments the model gave',
      args: '{"command":["npm","test"],"workdir":"/repo","timeout_ms":60000}',
      expected: { type: 'exec', command: ['npm', 'test'], working_directory: '/repo', timeout_ms: 60000, env: {} },
    },
    { name: 'takes a bare command', args: '{"command":["ls"]}', expected: { type: 'exec', command: ['ls'], env: {} } },
    // Codex reads timeout_ms as a u64: an item with any other number fails to parse and is dropped, the call with it.
    { name: 'leaves out a timeout that is not a whole number', args: '{"command":["ls"],"timeout_ms":1.5}', expected: { type: 'exec', command: ['ls'], env: {} } },
    { name: 'leaves out a negative timeout', args: '{"command":["ls"],"timeout_ms":-1}', expected: { type: 'exec', command: ['ls'], env: {} } },
    { name: 'has none for arguments that are not JSON', args: '{"command":', expected: undefined },
    { name: 'has none for a command given as one string', args: '{"command":"ls -a"}', expected: undefined },
    { name: 'has none for an empty command', args: '{"command":[]}', expected: undefined },
    { name: 'has none for no arguments', args: '', expected: undefined },
  ];

  it.each(cases)('$name', ({ args, expected }) => {
    expect(localShellAction(args)).toEqual(expected);
  });

  it('round-trips an action through the arguments', () => {
    const action = { type: 'exec' as const, command: ['bash', '-lc', 'echo "a b"'], working_directory: '/r', timeout_ms: 5, env: {} };

    expect(localShellAction(localShellCallArguments(action, 'x'))).toEqual(action);
  });
});

describe('localShellCallId and localShellTool', () => {
  it.each([
    [{ call_id: 'call_1', id: 'lsh_1' }, 'call_1'],
    [{ id: 'call_2' }, 'call_2'],
    [{}, undefined],
  ])('names the call of %j by %s', (item, expected) => {
    expect(localShellCallId(item)).toBe(expected);
  });

  it('describes the function it becomes as taking an argv array', () => {
    expect(localShellTool()).toMatchObject({ name: 'local_shell', parameters: { properties: { command: { type: 'array', items: { type: 'string' } } }, required: ['command'] } });
  });
});
