import { parseConfig } from '../config/load';
import { patternProblem } from './config';
import { FAKE } from './fake-tokens';
import { Guardrails } from './scan';
import { compileSets } from './sets';

const base = { providers: [{ id: 'o', type: 'openai', accounts: [{ id: 'a', apiKey: { env: 'K' } }] }], models: [{ name: 'm', targets: [{ provider: 'o', model: 'm' }] }] };

describe('guardrails config', () => {
  it('takes the preset, built-ins by name and user patterns', () => {
    const config = parseConfig({
      ...base,
      guardrails: { rules: [{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }, { id: 'internal-host', detect: { regex: 'corp\\.example\\.com', flags: 'i' }, action: 'block' }] },
    });
    expect(config.guardrails.rules).toHaveLength(3);
  });

  it('gives the rules on answers, the gateway\'s and each set\'s, the hold bound it names (64 KB unless it does)', () => {
    const rules = [{ detect: 'jwt', action: 'redact' }];
    const config = parseConfig({ ...base, guardrails: { on: ['response'], streamHoldMax: 4096, rules, sets: { strict: { rules } } } });
    expect(Guardrails.from(config.guardrails, 'response')!.holdMax).toBe(4096);
    expect(compileSets(config.guardrails)!.get('strict')!.answers!.rules.holdMax).toBe(4096);
    expect(Guardrails.from(parseConfig({ ...base, guardrails: { on: ['response'], rules } }).guardrails, 'response')!.holdMax).toBe(65536);
  });

  it('has no rules by default, and looks at requests only', () => {
    expect(parseConfig(base).guardrails).toEqual({ on: ['request'], streamWindow: 512, streamHoldMax: 65536, rules: [] });
    expect(parseConfig({ ...base, guardrails: { rules: [{ detect: 'jwt', action: 'flag' }] } }).guardrails.on).toEqual(['request']);
  });

  it('compiles each side\'s rules apart: the set\'s `on`, or a rule\'s own', () => {
    // Prepare
    const { guardrails } = parseConfig({
      ...base,
      guardrails: {
        on: ['request', 'response'],
        rules: [
          { detect: 'secrets', action: 'redact', on: ['request'] },
          { detect: 'secrets', action: 'block', on: ['response'] },
          { detect: 'jwt', action: 'flag' },
        ],
      },
    });
    // Act
    const request = Guardrails.from(guardrails, 'request')!;
    const response = Guardrails.from(guardrails, 'response')!;
    // Assess
    expect(request.ruleIds).toContain('jwt');
    expect(response.ruleIds).toContain('jwt');
    expect(request.screen(Buffer.from(JSON.stringify({ a: FAKE.awsKeyId })))?.hits).toEqual([{ rule: 'aws-access-key', action: 'redact', count: 1 }]);
    expect(response.screen(Buffer.from(JSON.stringify({ a: FAKE.awsKeyId })))?.hits).toEqual([{ rule: 'aws-access-key', action: 'block', count: 1 }]);
    expect(response.flagsOnly).toBe(false);
  });

  it('has no rules on answers unless `on` says so', () => {
    const { guardrails } = parseConfig({ ...base, guardrails: { rules: [{ detect: 'secrets', action: 'redact' }] } });
    expect(Guardrails.from(guardrails, 'response')).toBeUndefined();
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
    { case: 'an unknown side', set: { on: ['answer'] }, rules: [], error: /guardrails\.on\[0\]: on lists "request" and\/or "response"/ },
    { case: 'no side at all', rules: [{ detect: 'jwt', action: 'flag', on: [] }], error: /guardrails\.rules\[0\]\.on: on lists "request" and\/or "response" \(at least one\)/ },
    { case: 'a side named twice', set: { on: ['response', 'response'] }, rules: [], error: /guardrails\.on: on names a side twice/ },
    { case: 'a window too small for the detectors', set: { streamWindow: 32 }, rules: [], error: /guardrails\.streamWindow: streamWindow is at least 128 bytes/ },
    { case: 'a hold bound below its least', set: { streamHoldMax: 512 }, rules: [], error: /guardrails\.streamHoldMax: streamHoldMax is at least 1024 bytes/ },
    { case: 'a hold bound shorter than the window', set: { streamWindow: 8192, streamHoldMax: 4096 }, rules: [], error: /guardrails\.streamHoldMax: streamHoldMax \(4096\) is at least streamWindow \(8192\)/ },
    { case: 'a hold bound past a MiB', set: { streamHoldMax: 2 * 1024 * 1024 }, rules: [], error: /guardrails\.streamHoldMax: streamHoldMax is at most 1048576 bytes/ },
    { case: 'a rule id used twice on one side', set: { on: ['request', 'response'] }, rules: [{ detect: 'jwt', action: 'flag' }, { detect: 'jwt', action: 'block', on: ['response'] }], error: /guardrails\.rules\[1\]\.id: rule id "jwt" is used twice on the response side/ },
    { case: 'a rule id used twice', rules: [{ detect: 'secrets', action: 'redact' }, { detect: 'jwt', action: 'flag' }, { detect: 'github-token', action: 'block' }], error: /guardrails\.rules\[2\]\.id: rule id "github-token" is used twice/ },
  ])('refuses $case, naming the field', ({ set, rules, error }: { set?: object; rules: unknown[]; error: RegExp }) => {
    expect(() => parseConfig({ ...base, guardrails: { ...set, rules } })).toThrow(error);
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
