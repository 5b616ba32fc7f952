/**
 * The provider matrix: every client surface (the official `openai` client's Chat Completions
 * and Responses, `@anthropic-ai/sdk` and `@google/genai`) against every provider type (Responses:
 * those it is translated for), streaming and not, for plain text, a tool-call round
 * trip (one call, then several in one answer), an image, and an answer cut by the token limit. Each fake is scripted with what the model "means to say"; each case checks
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
  AFTER_PARALLEL_REPLY,
  CUT_REPLY,
  AFTER_TOOL_REPLY,
  IMAGE_QUESTION,
  IMAGE_REPLY,
  PARALLEL_ASK,
  PARALLEL_CALLS_REPLY,
  plainTextReply,
  PNG_BASE64,
  PROMPT,
  TOOL_CALL_REPLY,
  toolResultFor,
  WEATHER_ASK,
} from './matrix/scenario';
import type { MatrixTool, Meant, Mode, ProviderRig, Received, SurfaceClient, SurfaceSpec, ToolQuestion } from './matrix/types';

type Scenario = 'plain text' | 'tool call round-trip' | 'parallel tool calls round-trip' | 'image input' | 'cut by the token limit';

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
const SCENARIOS: Scenario[] = ['plain text', 'tool call round-trip', 'parallel tool calls round-trip', 'image input', 'cut by the token limit'];
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
  return { model: rig.upstreamModel, stream: mode === 'stream', userTexts: [], assistantTexts: [], images: [], tools: [], toolCalls: [], toolResults: [], ...facts };
}

const expectedTools = (rig: ProviderRig, surface: SurfaceSpec, tools: MatrixTool[]) =>
  tools.map((tool) => ({ name: tool.name, description: tool.description, schema: surface.toolSchemaFor?.(rig, tool) ?? rig.expectedToolSchema(tool) }));

/**
 * The model answers `ask` with the calls of `calls`, the client sends each call's result back
 * (`toolResultFor`), the model answers `after`: each call reaches the client with its args and a
 * distinct id, and each result reaches the upstream tied to its call.
 */
async function toolRoundTrip({ surface, rig, client, mode, expectedUsage }: CaseContext, ask: ToolQuestion, calls: Extract<Meant, { kind: 'tool_calls' }>, after: Extract<Meant, { kind: 'text' }>) {
  // Prepare: the model asks for the tools.
  rig.script(calls);

  // Act, first turn.
  const { answer, sendResult } = await client.askWithTools(rig.model, mode, ask);
  expectedUsage.push(usageItem(rig, mode, calls));

  // Assess: the client has the calls in order, with the upstream's ids (or safe ones made up for them).
  expect(answer).toEqual({
    text: calls.text ?? '',
    toolCalls: calls.calls.map((c, i) => ({ id: rig.toolCallId(i) ?? expect.stringMatching(SAFE_TOOL_ID), name: c.name, args: c.args })),
    finish: surface.finish.toolCall,
    usage: surface.usage(calls.usage),
    streamViolations: [],
  });
  expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [ask.question], tools: expectedTools(rig, surface, ask.tools) }));
  const ids = answer.toolCalls.map((c) => c.id);
  for (const id of ids) expect(id).toMatch(SAFE_TOOL_ID);
  // Without ids, results link to calls by name and order (Gemini's way); with them, each id must be its call's alone.
  if (!surface.callsWithoutIds?.(rig)) expect(new Set(ids).size).toBe(ids.length);

  // Act, second turn: the client sends the calls and their results back.
  rig.reset();
  rig.script(after);
  const afterAnswer = await sendResult(mode);
  expectedUsage.push(usageItem(rig, mode, after));

  // Assess: the upstream got each result in its own format, tied to its call.
  expect(afterAnswer).toEqual({ text: after.text, toolCalls: [], finish: surface.finish.text, usage: surface.usage(after.usage), streamViolations: [] });
  expect(rig.count()).toBe(1);
  const byId = rig.resultLink === 'id';
  // Clients may send results in any order; tied by id, any order reaches the upstream intact, tied by name (Gemini), only the calls' own.
  const seen = rig.last();
  if (byId) seen.toolResults.sort((a, b) => ids.indexOf(a.link) - ids.indexOf(b.link));
  expect(seen).toEqual(
    upstreamSaw(rig, mode, {
      userTexts: ask.note ? [ask.question, ask.note] : [ask.question],
      assistantTexts: calls.text ? [calls.text] : [],
      tools: expectedTools(rig, surface, ask.tools),
      toolCalls: calls.calls.map((c, i) => ({ id: byId ? ids[i] : undefined, name: c.name, args: c.args })),
      toolResults: calls.calls.map((c, i) => ({ link: byId ? ids[i]! : c.name, content: toolResultFor(c.name, c.args) })),
    }),
  );
}

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

  'tool call round-trip': (c) => toolRoundTrip(c, WEATHER_ASK, TOOL_CALL_REPLY, AFTER_TOOL_REPLY),

  'parallel tool calls round-trip': (c) => toolRoundTrip(c, PARALLEL_ASK, PARALLEL_CALLS_REPLY, AFTER_PARALLEL_REPLY),

  async 'image input'({ surface, rig, client, mode, expectedUsage }) {
    rig.script(IMAGE_REPLY);

    const answer = await client.showImage(rig.model, mode);
    expectedUsage.push(usageItem(rig, mode, IMAGE_REPLY));

    expect(answer).toEqual({ text: IMAGE_REPLY.text, toolCalls: [], finish: surface.finish.text, usage: surface.usage(IMAGE_REPLY.usage), streamViolations: [] });
    expect(rig.count()).toBe(1);
    expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [IMAGE_QUESTION], images: [{ mediaType: 'image/png', data: PNG_BASE64 }] }));
  },

  async 'cut by the token limit'({ surface, rig, client, mode, expectedUsage }) {
    rig.script(CUT_REPLY);

    const answer = await client.say(rig.model, mode);
    expectedUsage.push(usageItem(rig, mode, CUT_REPLY));

    // Each client sees the cut in its own dialect, not a finished answer.
    expect(answer).toEqual({ text: CUT_REPLY.text, toolCalls: [], finish: surface.finish.cut, usage: surface.usage(CUT_REPLY.usage), streamViolations: [] });
    expect(rig.count()).toBe(1);
    expect(rig.last()).toEqual(upstreamSaw(rig, mode, { userTexts: [PROMPT] }));
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
