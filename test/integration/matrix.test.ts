/**
 * The provider matrix: every client surface (the official `openai` client's Chat Completions
 * and Responses, `@anthropic-ai/sdk` and `@google/genai`) against every provider type (Responses:
 * those it is translated for), streaming and not, for plain text, a tool-call round
 * trip and an image. Each fake is scripted with what the model "means to say"; each case checks
 * what the client parsed against that, and what the fake received in its own wire format.
 * One gateway and one fake per provider serve all cases.
 */
import { eventually } from './harness';
import { anthropicSurface } from './matrix/anthropic-client';
import { geminiSurface } from './matrix/gemini-client';
import { startMatrixGateway, type MatrixGateway, type RigName } from './matrix/gateway';
import { openAISurface } from './matrix/openai-client';
import { responsesSurface } from './matrix/responses-client';
import {
  AFTER_TOOL_REPLY,
  IMAGE_QUESTION,
  IMAGE_REPLY,
  plainTextReply,
  PNG_BASE64,
  PROMPT,
  TOOL,
  TOOL_ARGS,
  TOOL_CALL_REPLY,
  TOOL_RESULT,
  WEATHER_QUESTION,
} from './matrix/scenario';
import type { Meant, Mode, ProviderRig, Received, SurfaceClient, SurfaceSpec } from './matrix/types';

type Scenario = 'plain text' | 'tool call round-trip' | 'image input';

interface Row {
  surface: SurfaceSpec;
  provider: RigName;
}

/** What one request's usage item must hold. */
interface ExpectedUsage {
  provider: string;
  upstreamModel: string;
  stream: boolean;
  status: number;
  outcome: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

interface CaseContext {
  surface: SurfaceSpec;
  rig: ProviderRig;
  client: SurfaceClient;
  mode: Mode;
  /** Every request the group has sent, as its usage item must read. */
  expectedUsage: ExpectedUsage[];
}

const PROVIDERS: RigName[] = ['openai', 'azure-openai', 'anthropic', 'gemini', 'bedrock'];
const ROWS: Row[] = [
  ...[openAISurface, anthropicSurface, geminiSurface].flatMap((surface) => PROVIDERS.map((provider) => ({ surface, provider }))),
  // Claude on Bedrock from the Anthropic surface: InvokeModel with Anthropic's own body, not Converse.
  { surface: anthropicSurface, provider: 'bedrock-claude' },
  // The Responses API where it is translated (passthrough to OpenAI and Azure: responses.test.ts).
  ...(['anthropic', 'gemini', 'bedrock'] as const).map((provider) => ({ surface: responsesSurface, provider })),
];
const MODES: Mode[] = ['stream', 'non-stream'];
const SCENARIOS: Scenario[] = ['plain text', 'tool call round-trip', 'image input'];
const CASES = MODES.flatMap((mode) => SCENARIOS.map((scenario) => ({ mode, scenario })));

/** Tool ids must be safe for every provider (Anthropic and Bedrock require this pattern). */
const SAFE_TOOL_ID = /^[a-zA-Z0-9_-]+$/;

function usageItem(rig: ProviderRig, mode: Mode, meant: Meant): ExpectedUsage {
  return {
    provider: rig.providerId,
    upstreamModel: rig.upstreamModel,
    stream: mode === 'stream',
    status: 200,
    outcome: 'ok',
    inputTokens: meant.usage.prompt,
    outputTokens: meant.usage.output,
    cacheReadTokens: meant.usage.cacheRead,
    cacheWriteTokens: meant.usage.cacheWrite,
  };
}

/** A request the fake should have received, with nothing in it but `facts`. */
function upstreamSaw(rig: ProviderRig, mode: Mode, facts: Partial<Received>): Received {
  return { model: rig.upstreamModel, stream: mode === 'stream', userTexts: [], images: [], tools: [], toolCalls: [], toolResults: [], ...facts };
}

const expectedTool = (rig: ProviderRig, surface: SurfaceSpec) => ({ name: TOOL.name, description: TOOL.description, schema: surface.toolSchemaFor?.(rig) ?? rig.expectedToolSchema });

const RUN: Record<Scenario, (c: CaseContext) => Promise<void>> = {
  async 'plain text'({ surface, rig, client, mode, expectedUsage }) {
    const meant = plainTextReply(rig.reportsCacheWrites);
    rig.script(meant);

    const answer = await client.say(rig.model, mode);
    expectedUsage.push(usageItem(rig, mode, meant));

    expect(answer).toEqual({ text: meant.text, toolCalls: [], finish: surface.finish.text, usage: surface.usage(meant.usage), streamViolations: [] });
    expect(rig.count()).toBe(1);
    expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [PROMPT] }));
  },

  async 'tool call round-trip'({ surface, rig, client, mode, expectedUsage }) {
    // Prepare: the model asks for the tool.
    rig.script(TOOL_CALL_REPLY);

    // Act, first turn.
    const { answer, sendResult } = await client.askWithTool(rig.model, mode);
    expectedUsage.push(usageItem(rig, mode, TOOL_CALL_REPLY));

    // Assess: the client has the call, with the upstream's id (or a safe one made up for it).
    expect(answer).toEqual({
      text: '',
      toolCalls: [{ id: rig.toolCallId ?? expect.stringMatching(SAFE_TOOL_ID), name: TOOL.name, args: TOOL_ARGS }],
      finish: surface.finish.toolCall,
      usage: surface.usage(TOOL_CALL_REPLY.usage),
      streamViolations: [],
    });
    expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [WEATHER_QUESTION], tools: [expectedTool(rig, surface)] }));
    const callId = answer.toolCalls[0]!.id;
    expect(callId).toMatch(SAFE_TOOL_ID);

    // Act, second turn: the client sends the call and its result back.
    rig.reset();
    rig.script(AFTER_TOOL_REPLY);
    const after = await sendResult(mode);
    expectedUsage.push(usageItem(rig, mode, AFTER_TOOL_REPLY));

    // Assess: the upstream got the result in its own format, tied to its call.
    expect(after).toEqual({ text: AFTER_TOOL_REPLY.text, toolCalls: [], finish: surface.finish.text, usage: surface.usage(AFTER_TOOL_REPLY.usage), streamViolations: [] });
    expect(rig.count()).toBe(1);
    const byId = rig.resultLink === 'id';
    expect(rig.last()).toEqual(
      upstreamSaw(rig, mode, {
        userTexts: [WEATHER_QUESTION],
        tools: [expectedTool(rig, surface)],
        toolCalls: [{ id: byId ? callId : undefined, name: TOOL.name, args: TOOL_ARGS }],
        toolResults: [{ link: byId ? callId : TOOL.name, content: TOOL_RESULT }],
      }),
    );
  },

  async 'image input'({ surface, rig, client, mode, expectedUsage }) {
    rig.script(IMAGE_REPLY);

    const answer = await client.showImage(rig.model, mode);
    expectedUsage.push(usageItem(rig, mode, IMAGE_REPLY));

    expect(answer).toEqual({ text: IMAGE_REPLY.text, toolCalls: [], finish: surface.finish.text, usage: surface.usage(IMAGE_REPLY.usage), streamViolations: [] });
    expect(rig.count()).toBe(1);
    expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [IMAGE_QUESTION], images: [{ mediaType: 'image/png', data: PNG_BASE64 }] }));
  },
};

const byJson = (a: object, b: object) => JSON.stringify(a).localeCompare(JSON.stringify(b));

let m: MatrixGateway;
beforeAll(async () => {
  m = await startMatrixGateway();
}, 30_000);
afterAll(async () => {
  await m?.close();
});

describe.each(ROWS)('$surface.label × $provider', ({ surface, provider }) => {
  let rig: ProviderRig;
  let client: SurfaceClient;
  let keyId: string;
  const expectedUsage: ExpectedUsage[] = [];

  beforeAll(async () => {
    rig = m.rigs[provider];
    // A key per group, so its usage items are exactly this group's requests.
    const key = await m.createKey([rig.model]);
    keyId = key.id;
    client = surface.connect(m.url, key.key);
  });
  beforeEach(() => rig.reset());

  it.each(CASES)('$mode × $scenario', async ({ mode, scenario }) => {
    await RUN[scenario]({ surface, rig, client, mode, expectedUsage });
  });

  it('records one usage item per request, with its provider, tokens and outcome ok', async () => {
    await eventually(async () => {
      const items = (await m.usage(keyId)).map((u) => ({
        provider: u.provider,
        upstreamModel: u.upstreamModel,
        stream: u.stream,
        status: u.status,
        outcome: u.outcome,
        inputTokens: u.inputTokens,
        outputTokens: u.outputTokens,
        cacheReadTokens: u.cacheReadTokens,
        cacheWriteTokens: u.cacheWriteTokens,
      }));
      expect(items.sort(byJson)).toEqual([...expectedUsage].sort(byJson));
    });
  });
});
