import { parseCommandLine } from './args';
import { usageErrorOf as usageErrorOfAt } from '../../test/cli-usage-error';

const NOW = new Date('2026-01-01T00:00:00Z');
const commandOf = (argv: string[]) => parseCommandLine(argv, NOW).command;

const usageErrorOf = (argv: string[]) => usageErrorOfAt(argv, NOW);

describe('parseCommandLine: teams', () => {
  it.each([
    [['teams', 'create', '--name', 'platform'], { kind: 'teams-create', name: 'platform', json: false }],
    [
      ['teams', 'create', '--name', 'platform', '--models', 'gpt-*, claude-*', '--rpm', '50', '--tpm', '9000', '--usd-per-day', '$20', '--usd-per-month', '400', '--json'],
      { kind: 'teams-create', name: 'platform', models: ['gpt-*', 'claude-*'], limits: { requestsPerMinute: 50, tokensPerMinute: 9000, usdPerDay: 20, usdPerMonth: 400 }, json: true },
    ],
    [['teams', 'list'], { kind: 'teams-list', json: false }],
    [['teams', 'list', '--json'], { kind: 'teams-list', json: true }],
    [['teams', 'update', 'team_1', '--rpm', 'off', '--usd-per-day', '5'], { kind: 'teams-update', id: 'team_1', patch: { limits: { requestsPerMinute: null, usdPerDay: 5 } }, json: false }],
    [['teams', 'update', 'team_1', '--models', 'off', '--name', 'ops'], { kind: 'teams-update', id: 'team_1', patch: { name: 'ops', models: null }, json: false }],
    [['teams', 'update', '--models', 'gpt-*', 'team_1', '--json'], { kind: 'teams-update', id: 'team_1', patch: { models: ['gpt-*'] }, json: true }],
    [['teams', 'delete', 'team_1'], { kind: 'teams-delete', id: 'team_1', json: false }],
    [['teams', 'create', '--name', 'legal', '--audit', 'on'], { kind: 'teams-create', name: 'legal', audit: true, json: false }],
    [['teams', 'update', 'team_1', '--audit', 'off'], { kind: 'teams-update', id: 'team_1', patch: { audit: false }, json: false }],
    [['teams', 'create', '--name', 'ci', '--guardrails', 'off'], { kind: 'teams-create', name: 'ci', guardrails: 'off', json: false }],
    [['teams', 'update', 'team_1', '--guardrails', 'on'], { kind: 'teams-update', id: 'team_1', patch: { guardrails: 'on' }, json: false }],
    [['teams', 'create', '--name', 'contractors', '--guardrails', 'strict', '--params', 'contractors'], { kind: 'teams-create', name: 'contractors', guardrails: 'strict', params: 'contractors', json: false }],
    [['teams', 'update', 'team_1', '--guardrails', 'strict', '--params', 'off'], { kind: 'teams-update', id: 'team_1', patch: { guardrails: 'strict', params: null }, json: false }],
  ])('reads %j', (argv, expected) => {
    expect(commandOf(argv)).toEqual(expected);
  });

  it.each([
    [['teams'], 'teams needs a subcommand', true],
    [['teams', 'rename'], 'unknown command: teams rename', true],
    [['teams', 'create'], 'teams create needs --name NAME', false],
    [['teams', 'create', '--name', 'x', '--ips', '10.0.0.0/8'], 'teams create does not take --ips', false],
    [['teams', 'create', '--name', 'x', '--rpm', 'off'], '--rpm off only applies to teams update; leave --rpm out for a team without that limit', false],
    [['teams', 'create', '--name', 'x', '--usd-per-day', '0'], '--usd-per-day must be a USD amount such as 5, 2.50 or $0.01: more than 0 and at most 1000000000, with up to 6 decimal places, not "0"', false],
    [['teams', 'update', 'team_1'], 'teams update needs something to change: --name, --models, --rpm, --tpm, --usd-per-day, --usd-per-month, --end-user-limits, --audit, --guardrails or --params', false],
    [['teams', 'update'], 'teams update needs the ID of a team (see `aigw teams list`)', false],
    [['teams', 'delete'], 'teams delete needs the ID of a team (see `aigw teams list`)', false],
    [['teams', 'delete', 'a', 'b'], 'teams delete: unexpected argument "b"', false],
    [['teams', 'list', '--team', 'x'], 'teams list does not take --team', false],
  ])('refuses %j with "%s"', (argv, message, fullUsage) => {
    const err = usageErrorOf(argv);

    expect({ message: err.message, topic: err.topic, fullUsage: err.fullUsage, exit: err.exitCode }).toEqual({ message, topic: 'teams', fullUsage, exit: 2 });
  });
});

describe('parseCommandLine: keys and usage with teams', () => {
  it.each([
    [['keys', 'create', '--name', 'alice', '--team', 'team_1'], { kind: 'keys-create', name: 'alice', models: ['*'], teamId: 'team_1', json: false }],
    [['keys', 'update', 'key_1', '--team', 'team_2'], { kind: 'keys-update', id: 'key_1', patch: { teamId: 'team_2' }, json: false }],
    [['keys', 'update', 'key_1', '--no-team'], { kind: 'keys-update', id: 'key_1', patch: { teamId: null }, json: false }],
    [['usage', '--by', 'team', '--team', 'team_1'], { kind: 'usage', by: 'team', team: 'team_1', refresh: true, json: false }],
  ])('reads %j', (argv, expected) => {
    expect(commandOf(argv)).toEqual(expected);
  });

  it.each([
    [['keys', 'update', 'key_1', '--team', 'team_2', '--no-team'], 'keys update takes --team ID or --no-team, not both', 'keys'],
    [['keys', 'create', '--name', 'a', '--no-team'], 'keys create does not take --no-team', 'keys'],
    [['keys', 'create', '--name', 'a', '--team', ' '], '--team needs the ID of a team (see `aigw teams list`)', 'keys'],
    [['usage', '--team', ''], '--team needs the ID of a team (see `aigw teams list`)', 'usage'],
  ])('refuses %j with "%s"', (argv, message, topic) => {
    const err = usageErrorOf(argv);

    expect({ message: err.message, topic: err.topic }).toEqual({ message, topic });
  });
});
