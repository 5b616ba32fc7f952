import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { KeyLimits } from '../access/api-key';
import type { TeamRecord } from '../access/team';
import { listIndexPartition, setAttributes, type TableRef } from './dynamo';
import { limitsItem, limitsOf } from './limits-item';
import { TABLE_SHAPE, TEAM_LIST_PARTITION, teamItemKey } from './table';

/** Where teams live. */
export interface TeamStore {
  /** Stores a new team; throws if one with its id exists. */
  put(team: TeamRecord): Promise<void>;
  get(id: string): Promise<TeamRecord | undefined>;
  /** Every team, oldest first. */
  list(): Promise<TeamRecord[]>;
  /** Replaces the fields given (limits `{}` removes them all, models null the patterns); undefined when there is no such team. */
  update(id: string, changes: TeamChanges): Promise<TeamRecord | undefined>;
  /** Removes the team; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/** What can change on a team after it was made. */
export interface TeamChanges {
  name?: string;
  models?: string[] | null;
  limits?: KeyLimits;
  /** Each end user's limits under the team; `{}` removes them. */
  endUserLimits?: KeyLimits;
  /** true flags the team's keys for the audit log (`audit.mode: flagged`), false removes the flag. */
  audit?: boolean;
  /** "off" exempts the team's keys from the guardrails, a rule set's name screens them by it, "on" removes the team's choice. */
  guardrails?: string;
  /** A request parameter policy's name for the team's keys; null removes it. */
  params?: string | null;
}

type Item = Record<string, AttributeValue>;

function toItem(team: TeamRecord): Item {
  const key = teamItemKey(team.id);
  const item: Item = {
    PK: { S: key.PK },
    SK: { S: key.SK },
    [TABLE_SHAPE.index.partitionKey]: { S: TEAM_LIST_PARTITION },
    [TABLE_SHAPE.index.sortKey]: { S: team.id },
    id: { S: team.id },
    name: { S: team.name },
    createdAt: { S: team.createdAt },
  };
  // A JSON list, as a key's: an empty list (a team that may use no model) is legal and DynamoDB has no empty sets.
  if (team.models) item.models = { S: JSON.stringify(team.models) };
  if (team.limits && Object.keys(team.limits).length) item.limits = limitsItem(team.limits);
  if (team.endUserLimits && Object.keys(team.endUserLimits).length) item.endUserLimits = limitsItem(team.endUserLimits);
  if (team.audit) item.audit = { BOOL: true };
  if (team.guardrails) item.guardrails = { S: team.guardrails };
  if (team.params) item.params = { S: team.params };
  return item;
}

function fromItem(item: Item): TeamRecord {
  const team: TeamRecord = { id: item.id!.S!, name: item.name!.S!, createdAt: item.createdAt!.S! };
  if (item.models?.S !== undefined) team.models = JSON.parse(item.models.S) as string[];
  const limits = limitsOf(item.limits);
  if (limits) team.limits = limits;
  const endUserLimits = limitsOf(item.endUserLimits);
  if (endUserLimits) team.endUserLimits = endUserLimits;
  if (item.audit?.BOOL) team.audit = true;
  if (item.guardrails?.S) team.guardrails = item.guardrails.S;
  if (item.params?.S) team.params = item.params.S;
  return team;
}

const byAge = (a: TeamRecord, b: TeamRecord) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

export class DynamoTeamStore implements TeamStore {
  constructor(readonly table: TableRef) {}

  async put(team: TeamRecord): Promise<void> {
    await this.table.client.send(new PutItemCommand({ TableName: this.table.tableName, Item: toItem(team), ConditionExpression: 'attribute_not_exists(PK)' }));
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    const key = teamItemKey(id);
    const out = await this.table.client.send(new GetItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async list(): Promise<TeamRecord[]> {
    const items = await listIndexPartition(this.table, TEAM_LIST_PARTITION);
    return items.map(fromItem).sort(byAge);
  }

  async update(id: string, changes: TeamChanges): Promise<TeamRecord | undefined> {
    const values: Item = {};
    if (changes.name !== undefined) values.name = { S: changes.name };
    if (changes.models) values.models = { S: JSON.stringify(changes.models) };
    const limits = changes.limits && Object.keys(changes.limits).length ? limitsItem(changes.limits) : undefined;
    if (limits) values.limits = limits;
    const endUserLimits = changes.endUserLimits && Object.keys(changes.endUserLimits).length ? limitsItem(changes.endUserLimits) : undefined;
    if (endUserLimits) values.endUserLimits = endUserLimits;
    if (changes.audit) values.audit = { BOOL: true };
    if (changes.guardrails && changes.guardrails !== 'on') values.guardrails = { S: changes.guardrails };
    if (changes.params) values.params = { S: changes.params };
    const remove = [
      ...(changes.limits && !limits ? ['limits'] : []),
      ...(changes.endUserLimits && !endUserLimits ? ['endUserLimits'] : []),
      ...(changes.models === null ? ['models'] : []),
      ...(changes.audit === false ? ['audit'] : []),
      ...(changes.guardrails === 'on' ? ['guardrails'] : []),
      ...(changes.params === null ? ['params'] : []),
    ];
    if (!Object.keys(values).length && !remove.length) return this.get(id);
    const item = await setAttributes(this.table, teamItemKey(id), values, remove);
    return item ? fromItem(item) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const key = teamItemKey(id);
    const out = await this.table.client.send(new DeleteItemCommand({ TableName: this.table.tableName, Key: { PK: { S: key.PK }, SK: { S: key.SK } }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }
}

/** The same contract in memory: for unit tests of code that uses a TeamStore. */
export class MemoryTeamStore implements TeamStore {
  readonly #teams = new Map<string, TeamRecord>();

  async put(team: TeamRecord): Promise<void> {
    if (this.#teams.has(team.id)) throw new Error('team exists');
    this.#teams.set(team.id, structuredClone(team));
  }
  async get(id: string) {
    const team = this.#teams.get(id);
    return team && structuredClone(team);
  }
  async list() {
    return [...this.#teams.values()].map((t) => structuredClone(t)).sort(byAge);
  }
  async update(id: string, changes: TeamChanges) {
    const team = this.#teams.get(id);
    if (!team) return undefined;
    if (changes.name !== undefined) team.name = changes.name;
    if (changes.models) team.models = [...changes.models];
    else if (changes.models === null) delete team.models;
    if (changes.limits && Object.keys(changes.limits).length) team.limits = { ...changes.limits };
    else if (changes.limits) delete team.limits;
    if (changes.endUserLimits && Object.keys(changes.endUserLimits).length) team.endUserLimits = { ...changes.endUserLimits };
    else if (changes.endUserLimits) delete team.endUserLimits;
    if (changes.audit) team.audit = true;
    else if (changes.audit === false) delete team.audit;
    if (changes.guardrails === 'on') delete team.guardrails;
    else if (changes.guardrails) team.guardrails = changes.guardrails;
    if (changes.params) team.params = changes.params;
    else if (changes.params === null) delete team.params;
    return structuredClone(team);
  }
  async delete(id: string) {
    return this.#teams.delete(id);
  }
}
