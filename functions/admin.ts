import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createAdminApi } from '../lib/admin/api';
import type { PolicyNames } from '../lib/admin/shared';
import { usageReports } from '../lib/jobs/rollup';
import { createTableRef } from '../lib/store/dynamo';
import { tableNameFromEnvironment } from '../lib/store/table-name';
import { DynamoKeyStore } from '../lib/store/keys';
import { DynamoTeamStore } from '../lib/store/teams';
import { tableSpendReader } from '../lib/store/budget-reads';
import type { ResponseBody } from '../lib/http/types';
import { requestFromFunctionUrlEvent } from './http-event';

// No token: the function URL's IAM auth lets only signed, authorised callers reach this handler.
const table = createTableRef({
  // A name DynamoDB refuses stops the function at its start (init), naming the variable.
  tableName: tableNameFromEnvironment(process.env),
  // Set only for local runs and tests (dynalite); on AWS the SDK finds DynamoDB itself.
  ...(process.env.DYNAMODB_ENDPOINT ? { endpoint: process.env.DYNAMODB_ENDPOINT } : {}),
});
const keys = new DynamoKeyStore(table);
// The config's rule sets and parameter policies, as the stack passes them (absent: any well-formed name is taken).
const names = process.env.GATEWAY_POLICY_NAMES ? (JSON.parse(process.env.GATEWAY_POLICY_NAMES) as PolicyNames) : undefined;
const api = createAdminApi({ keys, teams: new DynamoTeamStore(table), reports: usageReports({ table, keys, now: () => new Date() }), spend: tableSpendReader(table), ...(names ? { names } : {}) });

/** Admin responses are small JSON; a buffered Function URL response carries them whole. */
async function bodyText(body: ResponseBody): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function adminHandler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  const response = await api.handle(requestFromFunctionUrlEvent(event, context));
  return { statusCode: response.status, headers: response.headers, body: await bodyText(response.body) };
}

export const handler = middy(adminHandler);
