/** The Azure OpenAI fake in the matrix: the deployments path with an api-version, Azure's stream habits. */
import { startFakeAzureOpenAI } from '../../fakes/azure-openai';
import { openAIReply, readOpenAIBody } from './openai';
import type { ProviderRig, Received } from './types';

const API_KEY = 'azure-matrix-key';
const DEPLOYMENT = 'gpt4o-matrix';
const toolCallId = (index: number): string => `call_MatrixAzure0${index + 1}`;

export async function startAzureOpenAIRig(): Promise<ProviderRig> {
  const fake = await startFakeAzureOpenAI({ apiKey: API_KEY });
  return {
    providerId: 'azure',
    model: 'matrix-azure',
    upstreamModel: DEPLOYMENT,
    provider: { id: 'azure', type: 'azure-openai', baseUrl: fake.url, apiVersion: '2024-10-21', accounts: [{ id: 'main', apiKey: { env: 'MATRIX_AZURE_KEY' } }] },
    env: { MATRIX_AZURE_KEY: API_KEY },
    reportsCacheWrites: false,
    toolCallId,
    resultLink: 'id',
    expectedToolSchema: (tool) => tool.parameters,
    script: (meant) => fake.reply(openAIReply(meant, toolCallId)),
    reset: () => fake.reset(),
    count: () => fake.requests.length,
    last(): Received {
      const r = fake.requests.at(-1);
      if (!r) throw new Error('the Azure fake received no request');
      const deployment = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(r.path)?.[1];
      if (!deployment || !new URLSearchParams(r.search).get('api-version')) throw new Error(`the Azure fake was called at ${r.path}${r.search}, not the deployments path with an api-version`);
      // The deployment travels in the path; a `model` in the body is not what Azure routes by.
      return { ...readOpenAIBody(r.body), model: decodeURIComponent(deployment) };
    },
    close: () => fake.close(),
  };
}
