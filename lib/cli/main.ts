import { createAdminClient, type AdminClient } from './admin-client';
import { parseCommandLine, type Command } from './args';
import { gatewayUrl, resolveTarget } from './auth';
import { checkConfigFile, configFileFor } from './config-check';
import { CliError, EXIT } from './errors';
import { formatCreatedKey, formatJson, formatKey, formatKeyTable, formatRevokedKey, formatRotatedKey, formatTeam, formatTeamDetails, formatTeamTable, formatUpdatedKey, formatUsageReport } from './format';
import { GatewayUnreachable } from './http-errors';
import { formatStreamReport, measureStream, streamVerdict } from './stream-check';
import { usageHint, usageText } from './usage';

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  fetch?: typeof fetch;
  now?: () => Date;
}

/**
 * Runs `aigw` with its arguments and resolves to the exit code: 0 done, 1 failed, 2 bad usage.
 * Never throws for anything a user can cause.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), {
 *   stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env, cwd: process.cwd(),
 * });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const now = io.now ?? (() => new Date());
  try {
    const { command, global } = parseCommandLine(argv, now());
    if (command.kind === 'help') {
      io.stdout(usageText(command.topic));
      return EXIT.ok;
    }
    if (command.kind === 'config-check') {
      io.stdout(`${checkConfigFile(configFileFor(command.file, io.env, io.cwd))}\n`);
      return EXIT.ok;
    }
    if (command.kind === 'check-stream') return await runStreamCheck(command, gatewayUrl(global, io.env), io);
    const admin = createAdminClient({ target: resolveTarget(global, io.env, io.cwd), now, warn: (message) => io.stderr(`aigw: ${message}\n`), ...(io.fetch ? { fetch: io.fetch } : {}) });
    if (command.kind === 'usage') {
      io.stdout(await runUsage(command, admin, now(), (text) => io.stderr(text)));
      return EXIT.ok;
    }
    io.stdout(await runAdminCommand(command, admin, now()));
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.stderr(`aigw: ${err.message}\n`);
    if (err.kind === 'usage') io.stderr(err.fullUsage ? `\n${usageText(err.topic)}` : usageHint(err.topic));
    return err.exitCode;
  }
}

/** Exit 0 when the tokens streamed (or it could not tell), 1 when they were held back. */
async function runStreamCheck(command: Extract<Command, { kind: 'check-stream' }>, url: string, io: CliIo): Promise<number> {
  const report = await measureStream({ url, key: command.key, model: command.model, fetch: io.fetch ?? fetch });
  const verdict = streamVerdict(report);
  io.stdout(command.json ? formatJson({ ...report, verdict }) : formatStreamReport(report, verdict));
  return verdict.kind === 'buffered' ? EXIT.failed : EXIT.ok;
}

/**
 * Sums recent usage again first, unless told not to or the range ends before yesterday: roll-ups
 * are written hourly on AWS and locally only when asked, so today's figures would otherwise lag or be missing.
 */
/**
 * A failed refresh is only a warning: the roll-ups already there are still worth showing (on a
 * busy gateway, summing two days on demand can outlast the admin function's timeout, and the
 * hourly run is never more than an hour behind).
 */
async function runUsage(command: Extract<Command, { kind: 'usage' }>, admin: AdminClient, now: Date, warn: (text: string) => void): Promise<string> {
  if (command.by === 'end-user' || command.endUser !== undefined) {
    // Read from the usage records as they are: nothing to sum first.
    const filter = { ...(command.key ? { key: command.key } : {}), ...(command.team ? { team: command.team } : {}), ...(command.endUser !== undefined ? { endUser: command.endUser } : {}) };
    const report = await admin.endUserUsage({ ...(command.from ? { from: command.from } : {}), ...(command.to ? { to: command.to } : {}), ...filter });
    return command.json ? formatJson(report) : formatUsageReport(report, command.by, filter);
  }
  if (command.refresh && asksForRecentDays(command.to, now)) {
    try {
      await admin.rollUpUsage();
    } catch (err) {
      // A gateway that does not answer cannot show the last roll-up either: said once, by the read.
      if (!(err instanceof CliError) || err instanceof GatewayUnreachable) throw err;
      warn(`aigw: today's usage could not be summed just now (${err.message}); showing the last roll-up.\n`);
    }
  }
  const filter = { ...(command.key ? { key: command.key } : {}), ...(command.team ? { team: command.team } : {}) };
  const report = await admin.usage({ ...(command.from ? { from: command.from } : {}), ...(command.to ? { to: command.to } : {}), ...filter });
  return command.json ? formatJson(report) : formatUsageReport(report, command.by, filter);
}

/** Whether a range that ends on `to` (today when absent) takes in yesterday or today (UTC), the days a roll-up sums again. */
function asksForRecentDays(to: string | undefined, now: Date): boolean {
  const yesterday = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  return to === undefined || to >= yesterday;
}

async function runAdminCommand(command: Exclude<Command, { kind: 'help' | 'config-check' | 'check-stream' | 'usage' }>, admin: AdminClient, now: Date): Promise<string> {
  switch (command.kind) {
    case 'keys-create': {
      const created = await admin.createKey({
        name: command.name,
        models: command.models,
        ...(command.limits ? { limits: command.limits } : {}),
        ...(command.endUserLimits ? { endUserLimits: command.endUserLimits } : {}),
        ...(command.endUserRequired ? { endUserRequired: true } : {}),
        ...(command.allowedIps ? { allowedIps: command.allowedIps } : {}),
        ...(command.teamId ? { teamId: command.teamId } : {}),
        ...(command.audit ? { audit: true } : {}),
        ...(command.guardrails ? { guardrails: command.guardrails } : {}),
        ...(command.params ? { params: command.params } : {}),
        ...(command.expiresAt ? { expiresAt: command.expiresAt } : {}),
      });
      return command.json ? formatJson(created) : formatCreatedKey(created);
    }
    case 'keys-list': {
      if (command.json) return formatJson(await admin.listKeys());
      // Names make the TEAM column readable; a gateway without teams (or a failed read) leaves ids.
      const [keys, teams] = await Promise.all([admin.listKeys(), admin.listTeams().catch(() => [])]);
      return formatKeyTable(keys, now, new Map(teams.map((t) => [t.id, t.name])));
    }
    case 'keys-show': {
      const key = await admin.getKey(command.id);
      if (command.json) return formatJson(key);
      // The team's name reads better than its id; a failed read leaves the id.
      const team = key.teamId ? await admin.getTeam(key.teamId).catch(() => undefined) : undefined;
      return formatKey(key, now, team?.name);
    }
    case 'keys-update': {
      const updated = await admin.updateKey(command.id, command.patch);
      return command.json ? formatJson(updated) : formatUpdatedKey(updated);
    }
    case 'keys-revoke': {
      const revoked = await admin.revokeKey(command.id);
      return command.json ? formatJson(revoked) : formatRevokedKey(revoked);
    }
    case 'keys-rotate': {
      const rotated = await admin.rotateKey(command.id, command.graceSeconds);
      return command.json ? formatJson(rotated) : formatRotatedKey(rotated);
    }
    case 'teams-create': {
      const team = await admin.createTeam({ name: command.name, ...(command.models ? { models: command.models } : {}), ...(command.limits ? { limits: command.limits } : {}), ...(command.endUserLimits ? { endUserLimits: command.endUserLimits } : {}), ...(command.audit ? { audit: true } : {}), ...(command.guardrails ? { guardrails: command.guardrails } : {}), ...(command.params ? { params: command.params } : {}) });
      return command.json ? formatJson(team) : formatTeam('Created', team);
    }
    case 'teams-list': {
      const teams = await admin.listTeams();
      return command.json ? formatJson(teams) : formatTeamTable(teams);
    }
    case 'teams-show': {
      const team = await admin.getTeam(command.id);
      return command.json ? formatJson(team) : formatTeamDetails(team);
    }
    case 'teams-update': {
      const team = await admin.updateTeam(command.id, command.patch);
      return command.json ? formatJson(team) : formatTeam('Updated', team);
    }
    case 'teams-delete': {
      const team = await admin.deleteTeam(command.id);
      return command.json ? formatJson(team) : formatTeam('Deleted', team);
    }
  }
}
