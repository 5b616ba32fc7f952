import { parseCommandLine, splitModels } from './args';
import { usageErrorOf as usageErrorOfAt } from '../../test/cli-usage-error';
import { OPTIONS, type OptionName } from './flags';

const NOW = new Date('2026-01-01T00:00:00Z');

const usageErrorOf = (argv: string[]) => usageErrorOfAt(argv, NOW);

describe('parseCommandLine', () => {
  it('reads keys create with its name, model patterns and expiry', () => {
    // Act
    const parsed = parseCommandLine(['keys', 'create', '--name', 'alice', '--models', 'gpt-4o*, claude-*', '--expires', '2027-01-01T00:00:00Z'], NOW);

    // Assess
    expect(parsed).toEqual({
      command: { kind: 'keys-create', name: 'alice', models: ['gpt-4o*', 'claude-*'], expiresAt: '2027-01-01T00:00:00Z', json: false },
      global: {},
    });
  });

  it('lets a key use every model when --models is absent', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'bob']);

    // Assess
    expect(command).toEqual({ kind: 'keys-create', name: 'bob', models: ['*'], json: false });
  });

  it('reads the per-minute limits of keys create from --rpm and --tpm', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'carol', '--rpm', '60', '--tpm=90000'], NOW);

    // Assess
    expect(command).toEqual({ kind: 'keys-create', name: 'carol', models: ['*'], limits: { requestsPerMinute: 60, tokensPerMinute: 90000 }, json: false });
  });

  it.each([
    [['--usd-per-day', '5'], { usdPerDay: 5 }],
    [['--usd-per-day', '2.50'], { usdPerDay: 2.5 }],
    [['--usd-per-day', '0.01'], { usdPerDay: 0.01 }],
    [['--usd-per-day', '$5'], { usdPerDay: 5 }],
    [['--usd-per-month=$0.000001'], { usdPerMonth: 0.000001 }],
    [['--usd-per-month', ' 1234.567891 '], { usdPerMonth: 1234.567891 }],
    [['--usd-per-month', '1000000000'], { usdPerMonth: 1e9 }],
    [['--rpm', '60', '--usd-per-day', '5', '--usd-per-month', '100'], { requestsPerMinute: 60, usdPerDay: 5, usdPerMonth: 100 }],
  ])('reads keys create %j as the limits %j', (flags, limits) => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'dave', ...flags], NOW);

    // Assess
    expect(command).toEqual({ kind: 'keys-create', name: 'dave', models: ['*'], limits, json: false });
  });

  it.each([
    [['--rpm', '60'], { limits: { requestsPerMinute: 60 } }],
    [['--tpm', 'off'], { limits: { tokensPerMinute: null } }],
    [['--rpm', 'off', '--tpm', ' 90000 '], { limits: { requestsPerMinute: null, tokensPerMinute: 90000 } }],
    [['--name', ' carol '], { name: 'carol' }],
    [['--models', 'gpt-4o*, claude-*'], { models: ['gpt-4o*', 'claude-*'] }],
    [['--models', ''], { models: [] }],
    [['--name', 'c', '--models', '*', '--rpm', '1'], { name: 'c', models: ['*'], limits: { requestsPerMinute: 1 } }],
    [['--usd-per-day', '2.50'], { limits: { usdPerDay: 2.5 } }],
    [['--usd-per-month', '$100'], { limits: { usdPerMonth: 100 } }],
    [['--usd-per-day', '0.000001'], { limits: { usdPerDay: 0.000001 } }],
    [['--usd-per-day', 'off'], { limits: { usdPerDay: null } }],
    [['--usd-per-month', ' off ', '--usd-per-day', '5', '--tpm', 'off'], { limits: { usdPerMonth: null, usdPerDay: 5, tokensPerMinute: null } }],
    [['--ips', '10.0.0.0/8, 2001:db8::/32,203.0.113.7'], { allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'] }],
    [['--ips', ' off '], { allowedIps: null }],
    [['--ips=::1', '--rpm', 'off'], { limits: { requestsPerMinute: null }, allowedIps: ['::1'] }],
    [['--audit', 'on'], { audit: true }],
    [['--audit', 'OFF'], { audit: false }],
    [['--guardrails', 'off'], { guardrails: 'off' }],
    [['--guardrails', 'On'], { guardrails: 'on' }],
  ])('reads keys update %j as the patch %j, sending only what was given', (flags, patch) => {
    // Act
    const { command } = parseCommandLine(['keys', 'update', 'key_123', ...flags], NOW);

    // Assess
    expect(command).toEqual({ kind: 'keys-update', id: 'key_123', patch, json: false });
  });

  it('reads --json on keys update, before or after the id', () => {
    // Act
    const after = parseCommandLine(['keys', 'update', 'key_1', '--rpm', '5', '--json']).command;
    const before = parseCommandLine(['keys', 'update', '--json', 'key_1', '--rpm', '5']).command;

    // Assess
    expect(after).toEqual({ kind: 'keys-update', id: 'key_1', patch: { limits: { requestsPerMinute: 5 } }, json: true });
    expect(before).toEqual(after);
  });

  it('flags a new key for the audit log with --audit on, and sends nothing for --audit off', () => {
    // Act
    const on = parseCommandLine(['keys', 'create', '--name', 'erin', '--audit', 'on'], NOW).command;
    const off = parseCommandLine(['keys', 'create', '--name', 'erin', '--audit', 'off'], NOW).command;

    // Assess
    expect(on).toEqual({ kind: 'keys-create', name: 'erin', models: ['*'], audit: true, json: false });
    expect(off).toEqual({ kind: 'keys-create', name: 'erin', models: ['*'], json: false });
  });

  it('exempts a new key from the guardrails with --guardrails off, and sends nothing for --guardrails on', () => {
    // Act
    const off = parseCommandLine(['keys', 'create', '--name', 'ci', '--guardrails', 'off'], NOW).command;
    const on = parseCommandLine(['keys', 'create', '--name', 'ci', '--guardrails', 'on'], NOW).command;

    // Assess
    expect(off).toEqual({ kind: 'keys-create', name: 'ci', models: ['*'], guardrails: 'off', json: false });
    expect(on).toEqual({ kind: 'keys-create', name: 'ci', models: ['*'], json: false });
  });

  it('gives a new key a rule set with --guardrails SET and a parameter policy with --params', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'ci', '--guardrails', 'Strict', '--params', 'ci'], NOW);

    // Assess
    expect(command).toEqual({ kind: 'keys-create', name: 'ci', models: ['*'], guardrails: 'strict', params: 'ci', json: false });
  });

  it('changes or drops a key\'s rule set and policy on update: on and off drop its own choice', () => {
    // Act
    const set = parseCommandLine(['keys', 'update', 'key_1', '--guardrails', 'strict', '--params', 'contractors'], NOW).command;
    const dropped = parseCommandLine(['keys', 'update', 'key_1', '--guardrails', 'on', '--params', 'off'], NOW).command;

    // Assess
    expect(set).toEqual({ kind: 'keys-update', id: 'key_1', patch: { guardrails: 'strict', params: 'contractors' }, json: false });
    expect(dropped).toEqual({ kind: 'keys-update', id: 'key_1', patch: { guardrails: 'on', params: null }, json: false });
  });

  it('reads the address list of keys create from --ips, IPv4 and IPv6 addresses and ranges alike', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'erin', '--ips', '10.0.0.0/8,2001:db8::/32, 203.0.113.7,'], NOW);

    // Assess
    expect(command).toEqual({ kind: 'keys-create', name: 'erin', models: ['*'], allowedIps: ['10.0.0.0/8', '2001:db8::/32', '203.0.113.7'], json: false });
  });

  describe.each([
    ['keys create', ['keys', 'create', '--name', 'a']],
    ['keys update', ['keys', 'update', 'key_1']],
  ])('on %s', (_command, argv) => {
    it.each([
      ['a name for an address', 'office.example.com', '--ips: "office.example.com" is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.7, 10.0.0.0/8 or 2001:db8::/32)'],
      ['a bad entry among good ones', '10.0.0.0/8,10.0.0.0/33', '--ips: "10.0.0.0/33" is an IPv4 range whose prefix length is not a whole number from 0 to 32'],
      ['an IPv6 prefix over 128', '2001:db8::/129', '--ips: "2001:db8::/129" is an IPv6 range whose prefix length is not a whole number from 0 to 128'],
      ['nothing but commas', ' , ', '--ips needs addresses or CIDR ranges, such as 10.0.0.0/8,2001:db8::/32 (or off on keys update)'],
      ['over 100 entries', Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`).join(','), '--ips takes at most 100 entries, not 101'],
    ])('refuses --ips with %s, naming the flag and the entry', (_case, value, message) => {
      // Act
      const err = usageErrorOf([...argv, `--ips=${value}`]);

      // Assess
      expect(err.message).toBe(message);
      expect(err).toMatchObject({ kind: 'usage', topic: 'keys', exitCode: 2 });
    });
  });

  it('reads a bare date as midnight UTC', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'bob', '--expires', '2027-01-01'], NOW);

    // Assess
    expect(command).toMatchObject({ expiresAt: '2027-01-01T00:00:00Z' });
  });

  it('accepts global options before or after the command words', () => {
    // Act
    const before = parseCommandLine(['--url', 'http://gw:1', '--token', 't', 'keys', 'list', '--json']);
    const after = parseCommandLine(['keys', 'list', '--json', '--url', 'http://gw:1', '--token=t']);

    // Assess
    expect(before).toEqual({ command: { kind: 'keys-list', json: true }, global: { url: 'http://gw:1', token: 't' } });
    expect(after).toEqual(before);
  });

  it('reads keys revoke with the id of the key', () => {
    // Act
    const { command } = parseCommandLine(['keys', 'revoke', 'key_123', '--json']);

    // Assess
    expect(command).toEqual({ kind: 'keys-revoke', id: 'key_123', json: true });
  });

  it.each([
    [['keys', 'rotate', 'key_123'], { kind: 'keys-rotate', id: 'key_123', json: false }],
    [['keys', 'rotate', 'key_123', '--grace', '15m', '--json'], { kind: 'keys-rotate', id: 'key_123', graceSeconds: 900, json: true }],
    [['keys', 'rotate', '--grace', '0', 'key_123'], { kind: 'keys-rotate', id: 'key_123', graceSeconds: 0, json: false }],
  ])('reads %j', (argv, expected) => {
    expect(parseCommandLine(argv).command).toEqual(expected);
  });

  it('reads config check with and without a file', () => {
    // Act
    const withFile = parseCommandLine(['config', 'check', 'my.json']).command;
    const without = parseCommandLine(['config', 'check']).command;

    // Assess
    expect(withFile).toEqual({ kind: 'config-check', file: 'my.json' });
    expect(without).toEqual({ kind: 'config-check' });
  });

  it.each([
    [['--help'], 'main'],
    [['-h'], 'main'],
    [['help'], 'main'],
    [['keys', '--help'], 'keys'],
    [['keys', 'create', '--help'], 'keys'],
    [['help', 'config'], 'config'],
    [['config', 'check', '-h'], 'config'],
  ])('asks for help on %j about %s', (argv, topic) => {
    // Act
    const { command } = parseCommandLine(argv);

    // Assess
    expect(command).toEqual({ kind: 'help', topic });
  });

  it.each([
    [[], 'missing command', 'main', true],
    [['frob'], 'unknown command: frob', 'main', true],
    [['keys'], 'keys needs a subcommand', 'keys', true],
    [['keys', 'delete'], 'unknown command: keys delete', 'keys', true],
    [['keys', 'create'], 'keys create needs --name NAME', 'keys', false],
    [['keys', 'create', '--name', '  '], 'keys create needs --name NAME', 'keys', false],
    [['keys', 'create', '--name'], '--name needs a value', 'keys', false],
    [['keys', 'list', '--json=yes'], '--json takes no value', 'keys', false],
    [['keys', 'list', '--bogus'], 'unknown option --bogus', 'keys', false],
    [['keys', 'list', '--models', 'x'], 'keys list does not take --models', 'keys', false],
    [['keys', 'list', 'extra'], 'keys list: unexpected argument "extra"', 'keys', false],
    [['keys', 'revoke'], 'keys revoke needs the ID of a key (see `aigw keys list`)', 'keys', false],
    [['keys', 'rotate'], 'keys rotate needs the ID of a key (see `aigw keys list`)', 'keys', false],
    [['keys', 'rotate', 'key_1', '--grace', '1w'], '--grace must be 0 or a duration of at most 30 days such as 90s, 15m, 1h or 2d, not "1w"', 'keys', false],
    [['keys', 'rotate', 'key_1', '--rpm', '5'], 'keys rotate does not take --rpm', 'keys', false],
    [['keys', 'revoke', 'key_1', '--grace', '1h'], 'keys revoke does not take --grace', 'keys', false],
    [['keys', 'revoke', 'a', 'b'], 'keys revoke: unexpected argument "b"', 'keys', false],
    [['keys', 'update'], 'keys update needs the ID of a key (see `aigw keys list`)', 'keys', false],
    [['keys', 'update', '--rpm', '5'], 'keys update needs the ID of a key (see `aigw keys list`)', 'keys', false],
    [['keys', 'update', 'key_1'], 'keys update needs something to change: --name, --models, --rpm, --tpm, --usd-per-day, --usd-per-month, --end-user-limits, --end-user-required, --ips, --team, --no-team, --audit, --guardrails or --params', 'keys', false],
    [['keys', 'update', 'key_1', '--json'], 'keys update needs something to change: --name, --models, --rpm, --tpm, --usd-per-day, --usd-per-month, --end-user-limits, --end-user-required, --ips, --team, --no-team, --audit, --guardrails or --params', 'keys', false],
    [['keys', 'update', 'key_1', '--name', ' '], 'keys update: --name cannot be empty', 'keys', false],
    [['keys', 'update', 'a', 'b', '--rpm', '5'], 'keys update: unexpected argument "b"', 'keys', false],
    [['keys', 'update', 'key_1', '--expires', '2027-01-01'], 'keys update does not take --expires', 'keys', false],
    [['keys', 'list', '--rpm', '5'], 'keys list does not take --rpm', 'keys', false],
    [['keys', 'revoke', 'key_1', '--tpm', '5'], 'keys revoke does not take --tpm', 'keys', false],
    [['keys', 'list', '--usd-per-day', '5'], 'keys list does not take --usd-per-day', 'keys', false],
    [['keys', 'revoke', 'key_1', '--usd-per-month', '5'], 'keys revoke does not take --usd-per-month', 'keys', false],
    [['keys', 'create', '--name', 'a', '--usd-per-day'], '--usd-per-day needs a value', 'keys', false],
    [['keys', 'create', '--name', 'a', '--usd-per-month', '-5'], '--usd-per-month needs a value', 'keys', false],
    [['keys', 'create', '--name', 'a', '--rpm'], '--rpm needs a value', 'keys', false],
    // parseArgs reads a value that starts with a dash as a forgotten value; `--rpm=-1` reaches the check below.
    [['keys', 'create', '--name', 'a', '--rpm', '-1'], '--rpm needs a value', 'keys', false],
    [['keys', 'create', '--name', 'a', '--rpm', 'off'], '--rpm off only applies to keys update; leave --rpm out for a key without that limit', 'keys', false],
    [['keys', 'create', '--name', 'a', '--tpm', 'off'], '--tpm off only applies to keys update; leave --tpm out for a key without that limit', 'keys', false],
    [['keys', 'create', '--name', 'a', '--usd-per-day', 'off'], '--usd-per-day off only applies to keys update; leave --usd-per-day out for a key without that limit', 'keys', false],
    [['keys', 'create', '--name', 'a', '--usd-per-month', 'off'], '--usd-per-month off only applies to keys update; leave --usd-per-month out for a key without that limit', 'keys', false],
    [['keys', 'create', '--name', 'a', '--ips', 'off'], '--ips off only applies to keys update; leave --ips out for a key usable from any address', 'keys', false],
    [['keys', 'create', '--name', 'a', '--ips'], '--ips needs a value', 'keys', false],
    [['keys', 'list', '--ips', '10.0.0.0/8'], 'keys list does not take --ips', 'keys', false],
    [['keys', 'update', 'key_1', '--audit', 'yes'], '--audit must be on or off, not "yes"', 'keys', false],
    [['keys', 'update', 'key_1', '--guardrails', 'no such set'], '--guardrails must be on, off or the name of a rule set in the gateway\'s config (guardrails.sets), not "no such set"', 'keys', false],
    [['keys', 'create', '--name', 'a', '--params', 'off'], '--params off only applies to keys update; leave --params out for no policy of its own', 'keys', false],
    [['keys', 'update', 'key_1', '--params', 'ci/strict'], '--params must be the name of a policy in the gateway\'s config (paramPolicies) or off, not "ci/strict"', 'keys', false],
    [['keys', 'revoke', 'key_1', '--ips', '10.0.0.0/8'], 'keys revoke does not take --ips', 'keys', false],
    [['config', 'check', '--json'], 'config check does not take --json', 'config', false],
  ])('refuses %j with "%s"', (argv, message, topic, fullUsage) => {
    // Act
    const err = usageErrorOf(argv);

    // Assess
    expect(err.message).toBe(message);
    expect(err).toMatchObject({ kind: 'usage', topic, fullUsage, exitCode: 2 });
  });

  const WHOLE_NUMBER = 'a whole number of at least 1';
  const USD_AMOUNT = 'a USD amount such as 5, 2.50 or $0.01: more than 0 and at most 1000000000, with up to 6 decimal places';

  describe.each([
    ['keys create', ['keys', 'create', '--name', 'a'], ''],
    ['keys update', ['keys', 'update', 'key_1'], ', or off to remove the limit'],
  ])('on %s', (_command, argv, alternative) => {
    it.each([
      ['rpm', '0', WHOLE_NUMBER],
      ['rpm', '-1', WHOLE_NUMBER],
      ['tpm', '1.5', WHOLE_NUMBER],
      ['tpm', 'abc', WHOLE_NUMBER],
      ['rpm', '', WHOLE_NUMBER],
      ['rpm', '1e3', WHOLE_NUMBER],
      ['tpm', '0x10', WHOLE_NUMBER],
      ['tpm', '+5', WHOLE_NUMBER],
      ['rpm', 'OFF', WHOLE_NUMBER],
      ['rpm', '9007199254740993', WHOLE_NUMBER],
      ['rpm', '$5', WHOLE_NUMBER],
      ['usd-per-day', '0', USD_AMOUNT],
      ['usd-per-day', '0.00', USD_AMOUNT],
      ['usd-per-month', '$0', USD_AMOUNT],
      ['usd-per-day', '-5', USD_AMOUNT],
      ['usd-per-day', '$-5', USD_AMOUNT],
      ['usd-per-month', '+5', USD_AMOUNT],
      ['usd-per-day', '0.0000001', USD_AMOUNT],
      ['usd-per-day', '1.1234567', USD_AMOUNT],
      ['usd-per-month', '1e3', USD_AMOUNT],
      ['usd-per-month', '5E-2', USD_AMOUNT],
      ['usd-per-day', '0x10', USD_AMOUNT],
      ['usd-per-day', 'Infinity', USD_AMOUNT],
      ['usd-per-day', 'abc', USD_AMOUNT],
      ['usd-per-day', '', USD_AMOUNT],
      ['usd-per-day', '$', USD_AMOUNT],
      ['usd-per-day', '$$5', USD_AMOUNT],
      ['usd-per-day', '5$', USD_AMOUNT],
      ['usd-per-day', '$ 5', USD_AMOUNT],
      ['usd-per-day', '5.', USD_AMOUNT],
      ['usd-per-day', '.5', USD_AMOUNT],
      ['usd-per-month', '1,000', USD_AMOUNT],
      ['usd-per-month', '5 USD', USD_AMOUNT],
      ['usd-per-month', '1000000000.01', USD_AMOUNT],
      ['usd-per-day', 'OFF', USD_AMOUNT],
    ])('refuses --%s %j, naming the flag', (flag, value, expects) => {
      // Act
      const err = usageErrorOf([...argv, `--${flag}=${value}`]);

      // Assess
      expect(err.message).toBe(`--${flag} must be ${expects}${alternative}, not ${JSON.stringify(value)}`);
      expect(err).toMatchObject({ kind: 'usage', topic: 'keys', exitCode: 2 });
    });
  });

  it.each(['tomorrow', '2027-13-01', '2027-02-30', '2027-01-01T00:00:00', '2027-01-01T00:00Z', '2027-01-01 00:00:00Z'])('refuses --expires %s', (expires) => {
    // Act
    const err = usageErrorOf(['keys', 'create', '--name', 'a', '--expires', expires]);

    // Assess
    expect(err.message).toMatch(/^--expires must be an ISO date-time/);
  });

  it('refuses --expires in the past, which would make a key that never works', () => {
    // Prepare
    const now = new Date('2027-06-01T00:00:00Z');

    // Act
    const act = () => parseCommandLine(['keys', 'create', '--name', 'a', '--expires', '2027-05-31'], now);

    // Assess
    expect(act).toThrow('--expires 2027-05-31 is in the past');
  });

  it.each(['2027-01-01T00:00:00Z', '2027-01-01T00:00:00.5+02:00', '2028-02-29T23:59:59-05:00'])('accepts --expires %s as it is', (expires) => {
    // Act
    const { command } = parseCommandLine(['keys', 'create', '--name', 'a', '--expires', expires], NOW);

    // Assess
    expect(command).toMatchObject({ expiresAt: expires });
  });
});

describe('parseCommandLine: end-user limits', () => {
  it.each([
    ['rpm=10,usd-per-day=1', { requestsPerMinute: 10, usdPerDay: 1 }],
    [' tpm = 5000 , usd-per-month=$20 ', { tokensPerMinute: 5000, usdPerMonth: 20 }],
    ['rpm=10,tpm=100,usd-per-day=0.5,usd-per-month=3', { requestsPerMinute: 10, tokensPerMinute: 100, usdPerDay: 0.5, usdPerMonth: 3 }],
  ])('reads keys create --end-user-limits %j', (text, endUserLimits) => {
    const parsed = parseCommandLine(['keys', 'create', '--name', 'app', '--end-user-limits', text, '--end-user-required', 'on'], NOW);

    expect(parsed.command).toEqual({ kind: 'keys-create', name: 'app', models: ['*'], endUserLimits, endUserRequired: true, json: false });
  });

  it.each([
    [['--end-user-limits', 'rpm=off,usd-per-day=2'], { endUserLimits: { requestsPerMinute: null, usdPerDay: 2 } }],
    [['--end-user-limits', 'off'], { endUserLimits: { requestsPerMinute: null, tokensPerMinute: null, usdPerDay: null, usdPerMonth: null } }],
    [['--end-user-required', 'off'], { endUserRequired: false }],
  ])('reads keys update %j as a merge patch', (flags, patch) => {
    const parsed = parseCommandLine(['keys', 'update', 'key_1', ...flags], NOW);

    expect(parsed.command).toEqual({ kind: 'keys-update', id: 'key_1', patch, json: false });
  });

  it('reads teams create and update --end-user-limits', () => {
    const created = parseCommandLine(['teams', 'create', '--name', 'product', '--end-user-limits', 'rpm=5'], NOW);
    const updated = parseCommandLine(['teams', 'update', 'team_1', '--end-user-limits', 'rpm=off'], NOW);

    expect(created.command).toEqual({ kind: 'teams-create', name: 'product', endUserLimits: { requestsPerMinute: 5 }, json: false });
    expect(updated.command).toEqual({ kind: 'teams-update', id: 'team_1', patch: { endUserLimits: { requestsPerMinute: null } }, json: false });
  });

  it.each([
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm=0'], '--end-user-limits rpm must be a whole number of at least 1, not "0"'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'usd-per-day=0.0000001'], '--end-user-limits usd-per-day must be a USD amount such as 5, 2.50 or $0.01: more than 0 and at most 1000000000, with up to 6 decimal places, not "0.0000001"'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rps=10'], '--end-user-limits takes NAME=VALUE pairs separated by commas (names: rpm, tpm, usd-per-day, usd-per-month), such as rpm=10,usd-per-day=1; not "rps=10"'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm'], '--end-user-limits takes NAME=VALUE pairs separated by commas (names: rpm, tpm, usd-per-day, usd-per-month), such as rpm=10,usd-per-day=1; not "rpm"'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm=1,rpm=2'], '--end-user-limits names rpm twice'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', ','], '--end-user-limits needs at least one limit, such as rpm=10 (names: rpm, tpm, usd-per-day, usd-per-month)'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'off'], '--end-user-limits off only applies to keys update; leave --end-user-limits out for none'],
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm=off'], '--end-user-limits rpm must be a whole number of at least 1, not "off"'],
    [['keys', 'update', 'key_1', '--end-user-limits', 'tpm=x'], '--end-user-limits tpm must be a whole number of at least 1, or off to remove the limit, not "x"'],
    // Given twice, the second would silently replace the first's limits: rpm=10 would be lost.
    [['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm=10', '--end-user-limits', 'usd-per-day=1'], '--end-user-limits is given more than once; name every limit in one, such as rpm=10,usd-per-day=1'],
    [['teams', 'update', 'team_1', '--end-user-limits', 'rpm=off', '--end-user-limits=tpm=5'], '--end-user-limits is given more than once; name every limit in one, such as rpm=10,usd-per-day=1'],
    [['keys', 'create', '--name', 'a', '--end-user-required', 'yes'], '--end-user-required must be on or off, not "yes"'],
    [['teams', 'create', '--name', 'a', '--end-user-required', 'on'], 'teams create does not take --end-user-required'],
    [['usage', '--end-user', ''], "--end-user needs the end user's id, as the requests named it"],
    [['usage', '--by', 'end-user', '--from', '2025-12-01'], '--from 2025-12-01 to today (2026-01-01, UTC) spans 32 days; a report by end user (read from every usage record) spans at most 31'],
  ])('refuses %j with %j', (argv, message) => {
    expect(usageErrorOf(argv).message).toBe(message);
  });
});

describe('parseCommandLine: usage', () => {
  // NOW is 2026-01-01, so the API's default end (today) is 2026-01-01.
  const usage = (fields: Record<string, unknown> = {}) => ({ kind: 'usage', by: 'key', refresh: true, json: false, ...fields });

  it.each([
    [[], usage()],
    [['--from', '2025-12-01', '--to', '2025-12-31'], usage({ from: '2025-12-01', to: '2025-12-31' })],
    [['--from=2025-12-01'], usage({ from: '2025-12-01' })],
    [['--to', '2026-06-30'], usage({ to: '2026-06-30' })],
    [['--from', '2024-02-29', '--to', '2024-02-29'], usage({ from: '2024-02-29', to: '2024-02-29' })],
    [['--from', ' 2025-12-01 '], usage({ from: '2025-12-01' })],
    // The longest report the API serves: 400 days, both ends included.
    [['--from', '2024-11-28'], usage({ from: '2024-11-28' })],
    [['--key', 'key_123'], usage({ key: 'key_123' })],
    [['--by', 'model'], usage({ by: 'model' })],
    [['--by=day'], usage({ by: 'day' })],
    [['--by', 'key'], usage()],
    [['--no-refresh'], usage({ refresh: false })],
    [['--json', '--no-refresh', '--by', 'day'], usage({ json: true, refresh: false, by: 'day' })],
    [['--by', 'end-user'], usage({ by: 'end-user' })],
    [['--end-user', 'alice@example.com'], usage({ by: 'end-user', endUser: 'alice@example.com' })],
    [['--end-user', 'u-1', '--by', 'model', '--key', 'key_1'], usage({ by: 'model', endUser: 'u-1', key: 'key_1' })],
    // A report by end user reads records: 31 days at most, both ends included.
    [['--by', 'end-user', '--from', '2025-12-02'], usage({ by: 'end-user', from: '2025-12-02' })],
  ])('reads usage %j', (flags, command) => {
    // Act
    const parsed = parseCommandLine(['usage', ...flags], NOW);

    // Assess
    expect(parsed.command).toEqual(command);
  });

  it('takes global options around the command word', () => {
    // Act
    const parsed = parseCommandLine(['--url', 'http://gw:1', 'usage', '--by', 'model', '--token', 't'], NOW);

    // Assess
    expect(parsed).toEqual({ command: usage({ by: 'model' }), global: { url: 'http://gw:1', token: 't' } });
  });

  it.each([
    [['usage', '--help'], 'usage'],
    [['help', 'usage'], 'usage'],
    [['usage', '-h', '--by', 'nonsense'], 'usage'],
  ])('asks for help on %j about %s', (argv, topic) => {
    // Act
    const { command } = parseCommandLine(argv, NOW);

    // Assess
    expect(command).toEqual({ kind: 'help', topic });
  });

  const DATE = (flag: string, text: string) => `--${flag} must be a date such as 2026-06-01 (YYYY-MM-DD, UTC), not ${JSON.stringify(text)}`;

  it.each([
    [['--from', '2026-02-30'], DATE('from', '2026-02-30')],
    [['--to', '2025-02-29'], DATE('to', '2025-02-29')],
    [['--from', '2025-13-01'], DATE('from', '2025-13-01')],
    [['--to', '2025-12-00'], DATE('to', '2025-12-00')],
    [['--from', '2025-12-1'], DATE('from', '2025-12-1')],
    [['--from', '12/01/2025'], DATE('from', '12/01/2025')],
    [['--from', '2025-12-01T00:00:00Z'], DATE('from', '2025-12-01T00:00:00Z')],
    [['--to', 'today'], DATE('to', 'today')],
    [['--to='], DATE('to', '')],
    [['--from'], '--from needs a value'],
    [['--from', '2025-12-02', '--to', '2025-12-01'], '--from 2025-12-02 is after --to 2025-12-01'],
    [['--from', '2026-01-02'], '--from 2026-01-02 is after today (2026-01-01, UTC)'],
    [['--from', '2024-11-27'], '--from 2024-11-27 to today (2026-01-01, UTC) spans 401 days; a report spans at most 400'],
    [['--from', '2024-01-01', '--to', '2025-12-31'], '--from 2024-01-01 to --to 2025-12-31 spans 731 days; a report spans at most 400'],
    [['--by', 'user'], '--by must be key, team, model, day or end-user, not "user"'],
    [['--by', 'Model'], '--by must be key, team, model, day or end-user, not "Model"'],
    [['--by='], '--by must be key, team, model, day or end-user, not ""'],
    [['--key='], '--key needs the ID of a key (see `aigw keys list`)'],
    [['--key', 'sk-gw-AbCdEf123'], '--key takes the ID of a key (key_…, see `aigw keys list`), not the key itself'],
    [['--no-refresh=yes'], '--no-refresh takes no value'],
    [['--refresh'], 'unknown option --refresh'],
    [['--name', 'alice'], 'usage does not take --name'],
    [['--model', 'gpt-4o'], 'usage does not take --model'],
    [['today'], 'usage: unexpected argument "today"'],
  ])('refuses usage %j with "%s", before calling the gateway', (flags, message) => {
    // Act
    const err = usageErrorOf(['usage', ...flags]);

    // Assess
    expect(err.message).toBe(message);
    expect(err).toMatchObject({ kind: 'usage', topic: 'usage', fullUsage: false, exitCode: 2 });
  });

  it('refuses options of usage on other commands', () => {
    // Act
    const err = usageErrorOf(['keys', 'list', '--from', '2025-12-01']);

    // Assess
    expect(err.message).toBe('keys list does not take --from');
  });
});

describe('parseCommandLine: a flag given twice', () => {
  // Every flag of aigw takes one value; node's parseArgs keeps the last, so --rpm 1 --rpm 5 would
  // quietly become rpm 5. Each is refused, named as typed, whichever form (--flag v, --flag=v).
  const twice: [string[], string, string, string][] = [
    [['keys', 'create', '--rpm', '1', '--rpm', '5', '--name', 'a'], 'rpm', '1', '5'],
    [['keys', 'create', '--name', 'a', '--name=b'], 'name', 'a', 'b'],
    [['keys', 'create', '--name', 'a', '--models', 'gpt-*', '--models', 'claude-*'], 'models', 'gpt-*', 'claude-*'],
    [['keys', 'create', '--name', 'a', '--tpm', '10', '--tpm', '10'], 'tpm', '10', '10'],
    [['keys', 'create', '--name', 'a', '--usd-per-day', '1', '--usd-per-day', '2'], 'usd-per-day', '1', '2'],
    [['keys', 'update', 'key_1', '--usd-per-month', '1', '--usd-per-month', 'off'], 'usd-per-month', '1', 'off'],
    [['keys', 'create', '--name', 'a', '--expires', '2027-01-01', '--expires', '2028-01-01'], 'expires', '2027-01-01', '2028-01-01'],
    [['keys', 'create', '--name', 'a', '--ips', '10.0.0.0/8', '--ips', '192.168.0.1'], 'ips', '10.0.0.0/8', '192.168.0.1'],
    [['keys', 'create', '--name', 'a', '--end-user-required', 'on', '--end-user-required', 'off'], 'end-user-required', 'on', 'off'],
    [['keys', 'create', '--name', 'a', '--team', 'team_1', '--team', 'team_2'], 'team', 'team_1', 'team_2'],
    [['keys', 'update', 'key_1', '--audit', 'on', '--audit', 'off'], 'audit', 'on', 'off'],
    [['keys', 'update', 'key_1', '--guardrails', 'off', '--guardrails', 'on'], 'guardrails', 'off', 'on'],
    [['keys', 'update', 'key_1', '--params', 'ci', '--params', 'off'], 'params', 'ci', 'off'],
    [['keys', 'rotate', 'key_1', '--grace', '1h', '--grace', '2h'], 'grace', '1h', '2h'],
    [['teams', 'create', '--name', 'a', '--rpm', '1', '--rpm=2'], 'rpm', '1', '2'],
    [['usage', '--key', 'key_1', '--key', 'key_2'], 'key', 'key_1', 'key_2'],
    [['usage', '--model', 'a', '--model', 'b'], 'model', 'a', 'b'],
    [['usage', '--from', '2025-12-20', '--from', '2025-12-21'], 'from', '2025-12-20', '2025-12-21'],
    [['usage', '--to', '2025-12-20', '--to', '2025-12-21'], 'to', '2025-12-20', '2025-12-21'],
    [['usage', '--by', 'key', '--by', 'model'], 'by', 'key', 'model'],
    [['usage', '--by', 'end-user', '--end-user', 'u1', '--end-user', 'u2'], 'end-user', 'u1', 'u2'],
    [['--url', 'https://a.example', 'keys', 'list', '--url', 'https://b.example'], 'url', 'https://a.example', 'https://b.example'],
    [['--token', 't1', 'keys', 'list', '--token', 't2'], 'token', 't1', 't2'],
  ];

  it('covers every flag that takes a value', () => {
    const valued = (Object.keys(OPTIONS) as OptionName[]).filter((o) => OPTIONS[o].type === 'string' && o !== 'end-user-limits');
    expect(new Set(twice.map(([, flag]) => flag))).toEqual(new Set(valued));
  });

  it.each(twice)('refuses %j', (argv, flag, first, second) => {
    expect(usageErrorOf(argv).message).toBe(`--${flag} is given more than once (${JSON.stringify(first)}, then ${JSON.stringify(second)}); give it once`);
  });

  it('keeps the message that says how to name several end-user limits in one flag', () => {
    expect(usageErrorOf(['keys', 'create', '--name', 'a', '--end-user-limits', 'rpm=1', '--end-user-limits', 'tpm=2']).message).toBe(
      '--end-user-limits is given more than once; name every limit in one, such as rpm=10,usd-per-day=1',
    );
  });

  it.each([
    // A switch given twice says the same thing twice: nothing is lost, so it is taken.
    [['keys', 'list', '--json', '--json'], { kind: 'keys-list', json: true }],
  ])('takes the switch %j repeated', (argv, command) => {
    expect(parseCommandLine(argv, NOW).command).toEqual(command);
  });
});

describe('splitModels', () => {
  it.each([
    [undefined, ['*']],
    ['gpt-4o*,claude-*', ['gpt-4o*', 'claude-*']],
    [' a , ,b ', ['a', 'b']],
    ['', []],
  ])('splits %j into %j', (text, models) => {
    // Act
    const split = splitModels(text);

    // Assess
    expect(split).toEqual(models);
  });
});

describe('show commands', () => {
  it('reads keys show ID and teams show ID, with --json', () => {
    expect(parseCommandLine(['keys', 'show', 'key_1']).command).toEqual({ kind: 'keys-show', id: 'key_1', json: false });
    expect(parseCommandLine(['teams', 'show', 'team_1', '--json']).command).toEqual({ kind: 'teams-show', id: 'team_1', json: true });
  });

  it('needs exactly one ID', () => {
    expect(() => parseCommandLine(['teams', 'show'])).toThrow('teams show needs the ID of a team');
    expect(() => parseCommandLine(['keys', 'show', 'key_1', 'key_2'])).toThrow();
  });
});
