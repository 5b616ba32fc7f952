import { HistoryBuilder } from './history';

describe('HistoryBuilder', () => {
  it('puts tool results in one user message, names them by their call, and lets the next user message join it', () => {
    // Prepare
    const history = new HistoryBuilder();

    // Act
    history.user([{ type: 'text', text: 'Q' }]);
    history.assistant([{ type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }]);
    history.assistant([{ type: 'tool_call', id: 'c2', name: 'g', arguments: '{}' }], { continueTurn: true });
    history.toolResult({ type: 'tool_result', toolCallId: 'c1', content: 'one' });
    history.toolResult({ type: 'tool_result', toolCallId: 'c2', content: 'two' });
    history.user([{ type: 'text', text: 'And?' }]);
    history.user([{ type: 'text', text: 'Hello?' }]);

    // Assess
    expect(history.messages).toEqual([
      { role: 'user', parts: [{ type: 'text', text: 'Q' }] },
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' },
          { type: 'tool_call', id: 'c2', name: 'g', arguments: '{}' },
        ],
      },
      {
        role: 'user',
        parts: [
          { type: 'tool_result', toolCallId: 'c1', name: 'f', content: 'one' },
          { type: 'tool_result', toolCallId: 'c2', name: 'g', content: 'two' },
          { type: 'text', text: 'And?' },
        ],
      },
      { role: 'user', parts: [{ type: 'text', text: 'Hello?' }] },
    ]);
  });

  it('starts a new assistant message without continueTurn, and after tool results even with it', () => {
    const history = new HistoryBuilder();

    history.assistant([{ type: 'text', text: 'a' }]);
    history.assistant([{ type: 'text', text: 'b' }]);
    history.toolResult({ type: 'tool_result', toolCallId: 'unknown', content: 'x' });
    history.assistant([{ type: 'text', text: 'c' }], { continueTurn: true });

    expect(history.messages.map((m) => m.role)).toEqual(['assistant', 'assistant', 'user', 'assistant']);
    expect(history.messages[2]!.parts[0]).not.toHaveProperty('name');
  });
});
