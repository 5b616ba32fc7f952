import { droppedIn } from './model-call';

describe('droppedIn', () => {
  it.each<{ name: string; params: string[] | undefined; param: 'temperature' | 'topP'; expected: string[] }>([
    { name: 'the client’s temperature, on a call the policy left alone', params: undefined, param: 'temperature', expected: ['temperature:dropped'] },
    { name: 'the client’s top_p, after what the policy changed of other fields', params: ['maxOutputTokens:capped'], param: 'topP', expected: ['maxOutputTokens:capped', 'topP:dropped'] },
    { name: 'a temperature the policy filled in, its one entry declined', params: ['maxOutputTokens:capped', 'temperature:defaulted'], param: 'temperature', expected: ['maxOutputTokens:capped', 'temperature:declined'] },
    { name: 'a temperature the policy forced, its one entry declined', params: ['temperature:forced'], param: 'temperature', expected: ['temperature:declined'] },
    { name: 'a top_p beside a temperature the policy filled in (only top_p’s entry)', params: ['temperature:defaulted'], param: 'topP', expected: ['temperature:defaulted', 'topP:dropped'] },
  ])('records $name', ({ params, param, expected }) => {
    // Act
    const record = droppedIn(params, param);

    // Assess
    expect(record).toEqual(expected);
  });
});
