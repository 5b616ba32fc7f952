import type { KeyLimits } from '../access/api-key';
import type { TeamPatch } from './admin-client';
import { CliError } from './errors';
import { LIMIT_OPTION_NAMES, NO_LIMIT, accept, auditFlagFrom, endUserLimitsFrom, guardrailsChoiceFrom, limitsFrom, limitsPatchFrom, noMore, paramPolicyFrom, splitModels, type Values } from './flags';

/** What a `teams …` command line asked for. */
export type TeamCommand =
  | { kind: 'teams-create'; name: string; models?: string[]; limits?: KeyLimits; endUserLimits?: KeyLimits; audit?: boolean; guardrails?: string; params?: string; json: boolean }
  | { kind: 'teams-list'; json: boolean }
  | { kind: 'teams-show'; id: string; json: boolean }
  | { kind: 'teams-update'; id: string; patch: TeamPatch; json: boolean }
  | { kind: 'teams-delete'; id: string; json: boolean };

/**
 * Reads `aigw teams ACTION …`, or undefined for an action that is not one (the caller names it).
 *
 * @example
 * teamCommandFrom('create', [], { name: 'platform', rpm: '50' });
 * // → { kind: 'teams-create', name: 'platform', limits: { requestsPerMinute: 50 }, json: false }
 */
export function teamCommandFrom(action: string, rest: readonly string[], values: Values): TeamCommand | undefined {
  const name = `teams ${action}`;
  const json = values.json === true;
  switch (action) {
    case 'create': {
      accept(values, ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'audit', 'guardrails', 'params', 'json'], name, 'teams');
      noMore(rest, name, 'teams');
      if (!values.name?.trim()) throw new CliError('usage', 'teams create needs --name NAME', { topic: 'teams' });
      const command: TeamCommand = { kind: 'teams-create', name: values.name.trim(), json };
      // Without --models a team narrows nothing: its keys' own patterns decide.
      if (values.models !== undefined) command.models = splitModels(values.models);
      const limits = limitsFrom(values, 'teams');
      if (limits) command.limits = limits;
      if (values['end-user-limits'] !== undefined) command.endUserLimits = endUserLimitsFrom(values['end-user-limits'], 'teams', false);
      if (values.audit !== undefined && auditFlagFrom(values.audit, 'teams')) command.audit = true;
      const guardrails = values.guardrails === undefined ? undefined : guardrailsChoiceFrom(values.guardrails, 'teams');
      if (guardrails !== undefined && guardrails !== 'on') command.guardrails = guardrails;
      if (values.params !== undefined) command.params = paramPolicyFrom(values.params, 'teams', false)!;
      return command;
    }
    case 'list':
      accept(values, ['json'], name, 'teams');
      noMore(rest, name, 'teams');
      return { kind: 'teams-list', json };
    case 'show':
      accept(values, ['json'], name, 'teams');
      return { kind: 'teams-show', id: teamId(rest, name), json };
    case 'update': {
      accept(values, ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'audit', 'guardrails', 'params', 'json'], name, 'teams');
      const id = teamId(rest, name);
      return { kind: 'teams-update', id, patch: patchFrom(values), json };
    }
    case 'delete':
      accept(values, ['json'], name, 'teams');
      return { kind: 'teams-delete', id: teamId(rest, name), json };
  }
  return undefined;
}

function teamId(rest: readonly string[], command: string): string {
  const [id, ...extra] = rest;
  if (!id) throw new CliError('usage', `${command} needs the ID of a team (see \`aigw teams list\`)`, { topic: 'teams' });
  noMore(extra, command, 'teams');
  return id;
}

/** The merge patch `teams update` sends: `--models off` removes the team's patterns, `--rpm off` a limit. */
function patchFrom(values: Values): TeamPatch {
  const patch: TeamPatch = {};
  if (values.name !== undefined) {
    if (!values.name.trim()) throw new CliError('usage', 'teams update: --name cannot be empty', { topic: 'teams' });
    patch.name = values.name.trim();
  }
  if (values.models !== undefined) patch.models = values.models.trim() === NO_LIMIT ? null : splitModels(values.models);
  const limits = limitsPatchFrom(values, 'teams');
  if (limits) patch.limits = limits;
  if (values['end-user-limits'] !== undefined) patch.endUserLimits = endUserLimitsFrom(values['end-user-limits'], 'teams', true);
  if (values.audit !== undefined) patch.audit = auditFlagFrom(values.audit, 'teams');
  if (values.guardrails !== undefined) patch.guardrails = guardrailsChoiceFrom(values.guardrails, 'teams');
  if (values.params !== undefined) patch.params = paramPolicyFrom(values.params, 'teams', true);
  if (Object.keys(patch).length === 0) {
    const flags = ['name', 'models', ...LIMIT_OPTION_NAMES, 'end-user-limits', 'audit', 'guardrails', 'params'].map((f) => `--${f}`);
    throw new CliError('usage', `teams update needs something to change: ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)}`, { topic: 'teams' });
  }
  return patch;
}
