import { parseConfig } from '../config/load';
import { patternProblem } from './config';

const base = { providers: [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], models: [{ name: 'm', targets: [{ provider: 'o', model: 'm' }] }] };
const withRules = (rules: unknown[]) => () => parseConfig({ ...base, guardrails: { rules } });

describe('guardrails config', () => {
  it('takes the preset, built-ins by name and user patterns', () => {
    const config = parseConfig({
      ...base,
      guardrails: { rules: [{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }, { id: 'internal-host', detect: { regex: 'corp\\.example\\.com', flags: 'i' }, action: 'block' }] },
    });
    expect(config.guardrails.rules).toHaveLength(3);
  });

  it('has no rules by default', () => {
    expect(parseConfig(base).guardrails).toEqual({ rules: [] });
  });

  it.each([
    { case: 'a pattern that does not compile', rules: [{ id: 'bad', detect: { regex: 'a(b' }, action: 'block' }], error: /guardrails\.rules\[0\]\.detect\.regex: not a valid regular expression/ },
    { case: 'a pattern that matches the empty string', rules: [{ id: 'empty', detect: { regex: 'x*' }, action: 'redact' }], error: /guardrails\.rules\[0\]\.detect\.regex: matches the empty string/ },
    { case: 'a lookahead alone', rules: [{ id: 'look', detect: { regex: '(?=a)' }, action: 'redact' }], error: /guardrails\.rules\[0\]\.detect\.regex: matches the empty string/ },
    // On a string of 30 word characters this one ran 12 s here, each more doubling it: the instance is held (one thread).
    { case: 'a pattern that backtracks catastrophically', rules: [{ id: 'slow', detect: { regex: '(\\w+\\s?)+$' }, action: 'block' }], error: /guardrails\.rules\[0\]\.detect\.regex: may backtrack catastrophically/ },
    { case: 'a flag the scan does not take', rules: [{ id: 'g', detect: { regex: 'abc', flags: 'g' }, action: 'redact' }], error: /guardrails\.rules\[0\]\.detect\.regex: flags may hold only/ },
    { case: 'an unknown detector', rules: [{ detect: 'aws-keys', action: 'block' }], error: /guardrails\.rules\[0\]\.detect: detect is one of "secrets", "aws-access-key"/ },
    { case: 'an unknown action', rules: [{ detect: 'jwt', action: 'drop' }], error: /guardrails\.rules\[0\]\.action: action is "block", "redact" or "flag"/ },
    { case: 'a pattern without an id', rules: [{ detect: { regex: 'abc' }, action: 'flag' }], error: /guardrails\.rules\[0\]\.id: a rule with a regex needs an id/ },
    { case: 'a rule id used twice', rules: [{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }, { detect: 'github-token', action: 'block' }], error: /guardrails\.rules\[2\]\.id: rule id "github-token" is used twice/ },
  ])('refuses $case, naming the field', ({ rules, error }) => {
    expect(withRules(rules)).toThrow(error);
  });
});

describe('patternProblem', () => {
  it.each([
    { source: 'AKIA[0-9A-Z]{16}', flags: '', problem: undefined },
    { source: 'secret', flags: 'i', problem: undefined },
    { source: '\\b', flags: '', problem: /empty string/ },
    { source: '^', flags: 'm', problem: /empty string/ },
    { source: '(abc)?', flags: '', problem: /empty string/ },
    { source: '[', flags: '', problem: /not a valid regular expression/ },
    { source: 'abc', flags: 'y', problem: /flags may hold only/ },
    { source: '(a+)+b', flags: '', problem: /may backtrack catastrophically/ },
    { source: '(x+x+)+y', flags: '', problem: /may backtrack catastrophically/ },
    { source: 'TICKET-[0-9]+', flags: '', problem: undefined },
    { source: '(?<kind>sk|pk)-[0-9a-f]{32}\\b', flags: '', problem: undefined },
  ])('says of /$source/$flags: $problem', ({ source, flags, problem }) => {
    const found = patternProblem(source, flags);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});
