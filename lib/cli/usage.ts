import type { HelpTopic } from './errors';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8787';

const GLOBAL_OPTIONS = `Global options:
  --url URL      the gateway (default: $GATEWAY_URL, else ${DEFAULT_GATEWAY_URL})
  --token TOKEN  the admin token (default: $GATEWAY_ADMIN_TOKEN, else the file
                 \${GATEWAY_DATA_DIR:-.data}/admin-token that \`npm start\` writes,
                 looked for here and in each directory above).
                 For an AWS Lambda function URL without a token, requests are
                 signed with your AWS credentials (SigV4).
  -h, --help     show help`;

const KEYS = `Usage:
  aigw keys create --name NAME [--models 'gpt-4o*,claude-*'] [--rpm N] [--tpm N]
                   [--usd-per-day AMOUNT] [--usd-per-month AMOUNT]
                   [--end-user-limits rpm=10,usd-per-day=1] [--end-user-required on|off]
                   [--ips 10.0.0.0/8,2001:db8::/32] [--team ID] [--audit on|off]
                   [--guardrails on|off|SET] [--params POLICY]
                   [--expires 2027-01-01T00:00:00Z] [--json]
  aigw keys list [--json]
  aigw keys show ID [--json]
  aigw keys update ID [--name NAME] [--models PATTERNS] [--rpm N|off] [--tpm N|off]
                   [--usd-per-day AMOUNT|off] [--usd-per-month AMOUNT|off]
                   [--end-user-limits LIMITS|off] [--end-user-required on|off]
                   [--ips LIST|off] [--team ID|--no-team] [--audit on|off]
                   [--guardrails on|off|SET] [--params POLICY|off] [--json]
  aigw keys revoke ID [--json]
  aigw keys rotate ID [--grace 1h|0] [--json]

  create   makes a key and prints it once; --models takes comma-separated glob
           patterns (default: '*', every model); --expires takes an ISO date-time
           (or a date, meaning midnight UTC)
  list     shows every key (never the key itself, only its prefix); SPENT is
           the budget nearest its limit, such as $3.20/$5.00 day (spent, or
           held by calls in progress), - for a key without a budget
  show     shows one key, with what is spent of each of its budgets and when
           each starts afresh
  update   changes a key's name, models, limits or addresses and leaves the rest
           as it is; give at least one of them. --models replaces the key's
           patterns, --ips its address list
  revoke   stops a key from working (and the old secret of a rotated key)
  rotate   gives a key a new secret, printed once, and keeps everything else
           (id, name, models, team, limits, addresses, usage, spend). The old
           secret keeps working for --grace (default 1h; 90s, 15m, 2d…, at most
           30d; 0 refuses it at once), then is refused like a revoked key. A
           key keeps one old secret: rotating again ends the previous grace.
           list and show say when a key was rotated and until when its old
           secret works

  --rpm N  at most N requests per minute (a whole number, 1 or more); on update,
           off removes the limit. Without it a key has no request limit
  --tpm N  at most N tokens per minute; off as for --rpm. A call's tokens count
           when it ends, so the call that crosses N still finishes
  --usd-per-day AMOUNT
           a hard limit on what the key spends per UTC day: AMOUNT in USD, such
           as 5, 2.50 or '$0.01' (more than 0, up to 6 decimal places); off as
           for --rpm. Before a call goes upstream it reserves its worst case
           (its prompt and whole output allowance at the dearest price it may
           be served at); one that doesn't fit in what is left is refused with
           429 insufficient_quota. When it ends, it is charged what it cost.
           Such a key may not use a model without a price in the config
  --usd-per-month AMOUNT
           the same per calendar month (UTC); a key may have both
  --end-user-limits rpm=N,tpm=N,usd-per-day=AMOUNT,usd-per-month=AMOUNT
           limits each end user of the key is held to, each with counters
           of its own (the end user is the x-aigw-end-user header, else the
           API's user field: OpenAI safety_identifier or user, Anthropic
           metadata.user_id). Give any of the four. On update
           rpm=off removes one, and --end-user-limits off all of them
  --end-user-required on|off
           on refuses calls that name no end user (400 end_user_required);
           off (the default) counts them together as one anonymous end user
  --ips LIST
           the only addresses the key may be used from: comma-separated IPv4
           and IPv6 addresses and CIDR ranges (at most 100), such as
           10.0.0.0/8,2001:db8::/32,203.0.113.7. A request from elsewhere is
           refused with 403 ip_not_allowed. The address is the connection's
           (X-Forwarded-For is not trusted). On update the list given replaces
           the key's; off removes it. Without it a key works from any address
  --team ID
           the team the key belongs to (see \`aigw teams list\`): the key is
           then held to the team's models and limits as well as its own.
           --no-team on update takes it out of its team
  --audit on|off
           with the gateway's audit.mode "flagged", on writes the bodies of
           the key's calls (prompts and answers) to the audit log; off stops
           it. Without it a key is not flagged
  --guardrails on|off|SET
           off exempts the key's calls from the gateway's guardrails (trusted
           automation); SET screens them by that rule set of the config's
           guardrails.sets instead of the gateway's rules; on drops the key's
           own choice. Without it a key gets its team's choice, else the
           gateway's rules. A set the config does not have is refused
  --params POLICY|off
           the request parameter policy of the config's paramPolicies its
           calls get on top of the model's (a cap the lower, a forced value
           the key's); off on update drops the key's own. Without it a key
           gets its team's, if any
  --json   print the admin API's JSON instead of text`;

const TEAMS = `Usage:
  aigw teams create --name NAME [--models PATTERNS] [--rpm N] [--tpm N]
                    [--usd-per-day AMOUNT] [--usd-per-month AMOUNT]
                    [--end-user-limits LIMITS] [--audit on|off]
                    [--guardrails on|off|SET] [--params POLICY] [--json]
  aigw teams list [--json]
  aigw teams show ID [--json]
  aigw teams update ID [--name NAME] [--models PATTERNS|off] [--rpm N|off]
                    [--tpm N|off] [--usd-per-day AMOUNT|off]
                    [--usd-per-month AMOUNT|off] [--end-user-limits LIMITS|off]
                    [--audit on|off] [--guardrails on|off|SET]
                    [--params POLICY|off] [--json]
  aigw teams delete ID [--json]

  A team's limits are shared by all its keys together: with --rpm 50, the
  team's keys make at most 50 requests a minute between them, across every
  gateway instance; with --usd-per-day 20 they spend at most $20 a day
  between them. Each key is held to its own limits as well, and a call is
  refused (429, naming the key's limit or the team's) by whichever is
  reached first. A team's --models narrows what its keys may use: a key may
  use a model only if its own patterns and its team's allow it.

  create   makes a team; add keys with \`aigw keys create --team ID\` or
           \`aigw keys update KEY --team ID\`. Without --models a team allows
           every model (its keys' own patterns decide)
  list     shows every team with its models, limits and SPENT (the budget
           its keys together are nearest to, as for keys)
  show     shows one team, with what is spent of each of its budgets
  update   changes a team's name, models or limits and leaves the rest as it
           is; off removes --models or a limit
  delete   removes a team; refused while active keys belong to it

  --audit on|off
           with the gateway's audit.mode "flagged", on writes the bodies of
           all its keys' calls to the audit log; off stops it
  --guardrails on|off|SET
           off exempts its keys' calls from the gateway's guardrails, SET
           screens them by that rule set; on drops the team's choice. A key's
           own --guardrails wins over its team's
  --params POLICY|off
           the request parameter policy its keys' calls get, as for keys; a
           key's own --params wins over its team's

  --rpm, --tpm, --usd-per-day, --usd-per-month: as for keys (see
  \`aigw keys --help\`), counted for the team's keys together
  --end-user-limits: as for keys, each end user counted across all the
  team's keys
  --json   print the admin API's JSON instead of text`;

const USAGE = `Usage:
  aigw usage [--from DATE] [--to DATE] [--key ID] [--team ID] [--end-user ID]
             [--by key|team|model|day|end-user] [--no-refresh] [--json]

  Shows what keys used and spent per UTC day, from the gateway's daily
  roll-ups: requests, errors, tokens and cost, grouped by key (the default),
  team, model or day, with a total. Keys and models are listed dearest first, days
  in date order. Costs are at the prices in the gateway's config; a cost
  marked * leaves out requests to models without a price.

  --from DATE   the first day, YYYY-MM-DD (default: the 1st of --to's month)
  --to DATE     the last day, YYYY-MM-DD (default: today, UTC). A report
                spans at most 400 days
  --key ID      only the key with this ID (see \`aigw keys list\`)
  --team ID     only usage made in the team with this ID (see
                \`aigw teams list\`), by whichever of its keys
  --by WHAT     key (its name and ID), team (the team each call was made
                in), model (as clients named it), day, or end-user (the end
                user each call named, per key; read from the usage records
                themselves, not the roll-ups, so such a report spans at
                most 31 days)
  --end-user ID only the calls that named this end user (read from the
                records, as --by end-user is; grouped by end user unless
                --by says otherwise)
  --no-refresh  read the roll-ups as they are. By default the gateway first
                sums yesterday's and today's usage again so that today's
                figures are current (on AWS an hourly schedule does it too;
                a local gateway only when asked). Skipped anyway when --to is
                before yesterday
  --json        print the admin API's JSON instead of text`;

const CONFIG = `Usage:
  aigw config check [FILE]

  Validates a gateway config file (default: $GATEWAY_CONFIG, else
  gateway.config.json) without contacting the gateway.`;

const CHECK = `Usage:
  aigw check stream --key KEY --model MODEL [--url URL] [--json]

  Asks the gateway at --url (a deployed proxy's function URL, or the local
  server) for a streamed chat completion and times its tokens: "streamed" when
  they arrive as the model writes them, "buffered" (exit 1) when they are held
  back and arrive together at the end. Costs one short model call.

  --json   print the timings as JSON`;

const MAIN = `aigw: manage an AI API gateway.

Usage:
  aigw keys create --name NAME [--models PATTERNS] [--rpm N] [--tpm N]
                   [--usd-per-day AMOUNT] [--usd-per-month AMOUNT] [--ips LIST]
                   [--team ID] [--expires DATE] [--json]
  aigw keys list [--json]
  aigw keys show ID [--json]
  aigw keys update ID [--name NAME] [--models PATTERNS] [--rpm N|off] [--tpm N|off]
                   [--usd-per-day AMOUNT|off] [--usd-per-month AMOUNT|off]
                   [--ips LIST|off] [--team ID|--no-team] [--json]
  aigw keys revoke ID [--json]
  aigw keys rotate ID [--grace 1h|0] [--json]
  aigw teams create --name NAME [--models PATTERNS] [--rpm N] [--tpm N]
                    [--usd-per-day AMOUNT] [--usd-per-month AMOUNT] [--json]
  aigw teams list [--json]
  aigw teams show ID [--json]
  aigw teams update ID [--name NAME] [--models PATTERNS|off] [--rpm N|off] …
  aigw teams delete ID [--json]
  aigw usage [--from DATE] [--to DATE] [--key ID] [--team ID] [--end-user ID]
             [--by key|team|model|day|end-user] [--no-refresh] [--json]
  aigw config check [FILE]
  aigw check stream --key KEY --model MODEL [--json]

Run \`aigw keys --help\`, \`aigw teams --help\`, \`aigw usage --help\`,
\`aigw config --help\` or \`aigw check --help\` for details.`;

const TEXT: Record<HelpTopic, string> = {
  main: `${MAIN}\n\n${GLOBAL_OPTIONS}`,
  keys: `${KEYS}\n\n${GLOBAL_OPTIONS}`,
  teams: `${TEAMS}\n\n${GLOBAL_OPTIONS}`,
  usage: `${USAGE}\n\n${GLOBAL_OPTIONS}`,
  config: CONFIG,
  check: `${CHECK}\n\n${GLOBAL_OPTIONS}`,
};

/** The usage text for a topic, ending in a newline. */
export function usageText(topic: HelpTopic): string {
  return `${TEXT[topic]}\n`;
}

/** The line that points from a usage mistake to the help that explains it. */
export function usageHint(topic: HelpTopic): string {
  return `Run \`aigw ${topic === 'main' ? '' : `${topic} `}--help\` for usage.\n`;
}
