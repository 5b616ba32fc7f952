import { absentOr, isBoolean, isName, isNonNegativeInt, isObject, isPositiveInt, isText, nullishOr, within, type Json } from '../../http/json-checks';

// The schema's common case (`MessagesRequestSchema`), checked by hand. Claude Code's bodies are
// 60–110 KB with hundreds of blocks: zod's walk over one takes ~0.1 ms warm, and building the
// canonical request to check a body that passes through unchanged as much again. This check runs
// first; the schema runs only when it says no, to name the bad field or to accept what the check
// does not know (documents, for one). It must never accept what the schema (and the decoder in
// passthrough mode) refuses: the tests hold it to that over a table of requests and the captures.

const cacheOk = (v: unknown) => nullishOr(v, (c) => isObject(c) && c.type === 'ephemeral' && absentOr(c.ttl, isText));

const isTextBlock = (b: Json) => isText(b.text) && cacheOk(b.cache_control);

function isImageBlock(b: Json): boolean {
  const s = b.source;
  if (!isObject(s) || !cacheOk(b.cache_control)) return false;
  switch (s.type) {
    case 'base64':
      return isName(s.media_type) && isName(s.data);
    case 'url':
      return isName(s.url);
    case 'file':
      return isName(s.file_id);
    default:
      return false;
  }
}

/** A block inside a tool_result: text and images checked, documents left to the schema, other types as the schema takes them. */
function resultPart(b: unknown): boolean {
  if (!isObject(b) || !isName(b.type)) return false;
  if (b.type === 'text') return isTextBlock(b);
  if (b.type === 'image') return isImageBlock(b);
  return b.type !== 'document';
}

function block(b: unknown): boolean {
  if (!isObject(b) || !isName(b.type)) return false;
  switch (b.type) {
    case 'text':
      return isTextBlock(b);
    case 'image':
      return isImageBlock(b);
    case 'document':
      return false;
    case 'tool_use':
      return isName(b.id) && isName(b.name) && isObject(b.input) && cacheOk(b.cache_control);
    case 'tool_result':
      return (
        isName(b.tool_use_id) &&
        absentOr(b.content, (c) => isText(c) || (Array.isArray(c) && c.every(resultPart))) &&
        absentOr(b.is_error, isBoolean) &&
        cacheOk(b.cache_control)
      );
    case 'thinking':
      return isText(b.thinking) && isText(b.signature);
    case 'redacted_thinking':
      return isName(b.data);
    default:
      // Server tool blocks and newer ones: the schema takes any block with a type.
      return true;
  }
}

const message = (m: unknown) => isObject(m) && (m.role === 'user' || m.role === 'assistant') && (isText(m.content) || (Array.isArray(m.content) && m.content.every(block)));

/** A client tool needs its input_schema (the decoder refuses one without); server tools name a versioned type. */
function tool(t: unknown): boolean {
  if (!isObject(t) || !isName(t.name) || !nullishOr(t.type, isText)) return false;
  const client = !t.type || t.type === 'custom';
  return (
    absentOr(t.description, isText) &&
    (client ? isObject(t.input_schema) : absentOr(t.input_schema, isObject)) &&
    absentOr(t.strict, isBoolean) &&
    cacheOk(t.cache_control)
  );
}

function toolChoice(c: unknown): boolean {
  if (!isObject(c)) return false;
  const parallel = absentOr(c.disable_parallel_tool_use, isBoolean);
  switch (c.type) {
    case 'auto':
    case 'any':
      return parallel;
    case 'none':
      return true;
    case 'tool':
      return isName(c.name) && parallel;
    default:
      return false;
  }
}

const thinking = (t: unknown) => isObject(t) && (t.type === 'disabled' || t.type === 'adaptive' || (t.type === 'enabled' && isPositiveInt(t.budget_tokens)));

const outputConfig = (o: unknown) =>
  isObject(o) && nullishOr(o.effort, isText) && nullishOr(o.format, (f) => isObject(f) && f.type === 'json_schema' && isObject(f.schema));

/** Whether a Messages API body (or a count_tokens body, which has no max_tokens) plainly passes the schema. */
export function plainlyValid(b: Json, countTokens = false): boolean {
  return (
    isName(b.model) &&
    (countTokens ? absentOr(b.max_tokens, isPositiveInt) : isPositiveInt(b.max_tokens)) &&
    Array.isArray(b.messages) &&
    b.messages.every(message) &&
    absentOr(b.system, (s) => isText(s) || (Array.isArray(s) && s.every((t) => isObject(t) && t.type === 'text' && isTextBlock(t)))) &&
    nullishOr(b.stream, isBoolean) &&
    nullishOr(b.temperature, within(0, 1)) &&
    nullishOr(b.top_p, within(0, 1)) &&
    nullishOr(b.top_k, isNonNegativeInt) &&
    nullishOr(b.stop_sequences, (s) => Array.isArray(s) && s.every(isText)) &&
    nullishOr(b.tools, (t) => Array.isArray(t) && t.every(tool)) &&
    nullishOr(b.tool_choice, toolChoice) &&
    nullishOr(b.thinking, thinking) &&
    nullishOr(b.metadata, (m) => isObject(m) && nullishOr(m.user_id, isText)) &&
    nullishOr(b.output_config, outputConfig)
  );
}
