import { storedAnswerPaths, writtenByModel } from './stored-answers';
import type { StoredObjectOperation } from './stored-responses';

describe('writtenByModel', () => {
  it.each([
    [{ type: 'message', role: 'assistant', content: [] }, true],
    [{ role: 'assistant', content: 'hi' }, true],
    [{ type: 'reasoning', summary: [] }, true],
    [{ type: 'function_call', arguments: '{}' }, true],
    [{ type: 'web_search_call' }, true],
    // A kind the list does not know is screened: it may be the model's.
    [{ type: 'some_new_call' }, true],
    [{ type: 'message', role: 'user', content: [] }, false],
    [{ type: 'message', role: 'system', content: [] }, false],
    [{ type: 'message', role: 'developer', content: [] }, false],
    [{ role: 'user', content: 'hi' }, false],
    [{ type: 'function_call_output', output: 'file' }, false],
    [{ type: 'computer_call_output' }, false],
    [{ type: 'mcp_approval_response' }, false],
    [{ type: 'item_reference', id: 'msg_1' }, false],
    [null, false],
    ['text', false],
    [[], false],
  ])('says whether %j is what a model wrote: %s', (item, expected) => {
    expect(writtenByModel(item)).toBe(expected);
  });
});

describe('storedAnswerPaths', () => {
  const conversation = (action: StoredObjectOperation['action']): StoredObjectOperation => ({ ref: { kind: 'conversation', id: 'conv_1' }, action, ...(action === 'item' || action === 'delete_item' ? { itemId: 'msg_1' } : {}) });
  const response = (action: StoredObjectOperation['action']): StoredObjectOperation => ({ ref: { kind: 'response', id: 'resp_1' }, action });
  const list = Buffer.from(JSON.stringify({ object: 'list', data: [{ type: 'message', role: 'user', content: [{ text: 'q' }] }, { type: 'message', role: 'assistant', content: [{ text: 'a' }] }, { type: 'reasoning', encrypted_content: 'x', summary: [{ text: 's' }] }] }));
  const assistant = Buffer.from(JSON.stringify({ type: 'message', role: 'assistant', content: [{ text: 'a' }] }));
  const user = Buffer.from(JSON.stringify({ type: 'message', role: 'user', content: [{ text: 'q' }] }));

  it.each([
    ['a stored response: its output', response('retrieve'), list, 'output[0].content[0].text', true],
    ['a stored response: not what it echoes of the request', response('retrieve'), list, 'instructions', false],
    ['a cancelled response: its output', response('cancel'), list, 'output[1].arguments', true],
    ["a conversation's items: an assistant's message", conversation('items'), list, 'data[1].content[0].text', true],
    ["a conversation's items: a reasoning summary", conversation('items'), list, 'data[2].summary[0].text', true],
    ["a conversation's items: not encrypted reasoning", conversation('items'), list, 'data[2].encrypted_content', false],
    ["a conversation's items: not a user's message", conversation('items'), list, 'data[0].content[0].text', false],
    ["a conversation's items: not the list's own fields", conversation('items'), list, 'first_id', false],
    ["a conversation's items: not an item past the list", conversation('items'), list, 'data[7].content[0].text', false],
    ["a response's input items, as a conversation's", response('input_items'), list, 'data[1].content[0].text', true],
    ["an assistant's item", conversation('item'), assistant, 'content[0].text', true],
    ["a user's item", conversation('item'), user, 'content[0].text', false],
  ])('%s', (_case, operation, body, path, expected) => {
    expect(storedAnswerPaths(operation, body)?.(path)).toBe(expected);
  });

  it.each([conversation('retrieve'), conversation('update'), conversation('delete'), conversation('delete_item'), conversation('add_items'), response('delete')])('reads nothing of an answer that holds no model words: %j', (operation) => {
    expect(storedAnswerPaths(operation, list)).toBeUndefined();
  });

  it('reads a body that is not JSON as holding no items', () => {
    expect(storedAnswerPaths(conversation('items'), Buffer.from('not json'))?.('data[0].content[0].text')).toBe(false);
  });
});
