import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenAiChatAssembler, OpenAiResponsesAssembler, parseOpenAiRequest } from './openai.js';
import { replaySse } from '../testing.js';
import { type ResponseAssembler } from '../turn.js';
import { LlmRequestSchema, LlmResponseSchema, type LlmResponse } from '../../../model/records.js';

const data = (payload: object | string): string =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
const typed = (type: string, payload: object): string => `event: ${type}\n${data({ type, ...payload })}`;

const assemble = (assembler: ResponseAssembler, text: string, size = 5): LlmResponse =>
  replaySse(assembler, text, size);

const chunk = (delta: object, extra: object = {}): string =>
  data({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4.1',
    choices: [{ index: 0, delta }],
    ...extra,
  });

/** A Chat Completions stream: text, then two tool calls whose arguments arrive in fragments. */
const CHAT_STREAM = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Checking ' }),
  chunk({ content: 'now.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'shell', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"cmd":' } }] }),
  chunk({ tool_calls: [{ index: 1, id: 'call_B', type: 'function', function: { name: 'read', arguments: '{}' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"ls"}' } }] }),
  data({ id: 'chatcmpl-1', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }),
  data({ id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 } }),
  data('[DONE]'),
].join('');

test('a Chat Completions request: the trailing tool messages are the tool results', () => {
  const req = parseOpenAiRequest({
    model: 'gpt-4.1',
    stream: true,
    tools: [{ type: 'function', function: { name: 'shell' } }],
    messages: [
      { role: 'system', content: 'You are an agent.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'list files' },
          { type: 'image_url', image_url: {} },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_A', type: 'function', function: {} }] },
      { role: 'tool', tool_call_id: 'call_A', content: 'a.txt' },
      { role: 'tool', tool_call_id: 'call_B', content: [{ type: 'text', text: 'b.txt' }] },
    ],
  });
  assert.deepEqual(req, {
    model: 'gpt-4.1',
    stream: true,
    messageCount: 5,
    lastUserText: '',
    toolResults: [
      { toolUseId: 'call_A', content: 'a.txt', isError: false },
      { toolUseId: 'call_B', content: 'b.txt', isError: false },
    ],
    hasTools: true,
  });
  const side = parseOpenAiRequest({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'title this' }] });
  assert.equal(side.lastUserText, 'title this');
  assert.equal(side.hasTools, false);
});

test('a Responses request: string input, or items ending in function_call_output', () => {
  const simple = parseOpenAiRequest({ model: 'gpt-5', input: 'hello', stream: true });
  assert.deepEqual(simple, {
    model: 'gpt-5',
    stream: true,
    messageCount: 1,
    lastUserText: 'hello',
    toolResults: [],
    hasTools: false,
  });
  const loop = parseOpenAiRequest({
    model: 'gpt-5',
    tools: [{ type: 'function', name: 'shell' }],
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run the tests' }] },
      { type: 'reasoning', summary: [] },
      { type: 'function_call', call_id: 'call_X', name: 'shell', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_X', output: 'ok: 12 passed' },
      { role: 'user', content: 'and then commit' },
    ],
  });
  assert.equal(loop.messageCount, 5);
  assert.equal(loop.lastUserText, 'and then commit');
  assert.deepEqual(loop.toolResults, [{ toolUseId: 'call_X', content: 'ok: 12 passed', isError: false }]);
  assert.equal(loop.hasTools, true);
});

test('a malformed request still reads as a valid request', () => {
  const bodies: unknown[] = [
    null,
    undefined,
    1.5,
    'x',
    { messages: [null, 'x', { role: 'tool', content: 4 }] },
    { input: 5 },
    { input: [null, { type: 'function_call_output', output: { a: 1 } }] },
    { input: [{ role: 'user', content: [7, null, { type: 'input_text', text: null }] }], tools: 'all' },
  ];
  for (const body of bodies) LlmRequestSchema.parse(parseOpenAiRequest(body));
});

test('a Chat Completions stream: content joined, tool call fragments joined per index', () => {
  for (const size of [1, 5, CHAT_STREAM.length]) {
    assert.deepEqual(assemble(new OpenAiChatAssembler(), CHAT_STREAM, size), {
      id: 'chatcmpl-1',
      model: 'gpt-4.1',
      text: 'Checking now.',
      toolUses: [
        { id: 'call_A', name: 'shell', input: { cmd: 'ls' } },
        { id: 'call_B', name: 'read', input: {} },
      ],
      stopReason: 'tool_calls',
      usage: { inputTokens: 50, outputTokens: 12 },
      truncated: false,
      error: null,
    });
  }
});

test('a Chat Completions stream without [DONE] is truncated; half-sent arguments read as null', () => {
  const cut = CHAT_STREAM.slice(0, CHAT_STREAM.indexOf('"ls'));
  const res = assemble(new OpenAiChatAssembler(), cut);
  assert.equal(res.truncated, true);
  assert.deepEqual(res.toolUses, [
    { id: 'call_A', name: 'shell', input: null },
    { id: 'call_B', name: 'read', input: {} },
  ]);
  const noDone = assemble(new OpenAiChatAssembler(), CHAT_STREAM.replace(data('[DONE]'), ''));
  assert.equal(noDone.truncated, true);
  assert.deepEqual(noDone.toolUses[0]?.input, { cmd: 'ls' });
});

test('a Chat Completions error, mid-stream or as the body', () => {
  const streamed = assemble(new OpenAiChatAssembler(), data({ error: { message: 'rate limited', type: 'x' } }));
  assert.equal(streamed.error, 'rate limited');
  const body = new OpenAiChatAssembler();
  body.json({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } });
  assert.equal(body.finish(false).error, 'Incorrect API key provided');
});

test('a whole Chat Completions body', () => {
  const a = new OpenAiChatAssembler();
  a.json({
    id: 'chatcmpl-2',
    model: 'gpt-4.1',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: 'Running it.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'shell', arguments: '{"cmd":"make"}' } },
            { id: 'call_2', type: 'function', function: { name: 'shell', arguments: '{"cmd":' } },
          ],
        },
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 6 },
  });
  assert.deepEqual(a.finish(false), {
    id: 'chatcmpl-2',
    model: 'gpt-4.1',
    text: 'Running it.',
    toolUses: [
      { id: 'call_1', name: 'shell', input: { cmd: 'make' } },
      { id: 'call_2', name: 'shell', input: null },
    ],
    stopReason: 'tool_calls',
    usage: { inputTokens: 5, outputTokens: 6 },
    truncated: true,
    error: null,
  });
});

/** A Responses stream: text, then a function call whose arguments arrive in fragments. */
const RESPONSES_STREAM = [
  typed('response.created', { response: { id: 'resp_1', model: 'gpt-5', status: 'in_progress' } }),
  typed('response.output_item.added', { output_index: 0, item: { type: 'reasoning', id: 'rs_1' } }),
  typed('response.output_item.added', { output_index: 1, item: { type: 'message', id: 'msg_1', content: [] } }),
  typed('response.output_text.delta', { output_index: 1, content_index: 0, delta: 'Running ' }),
  typed('response.output_text.delta', { output_index: 1, content_index: 0, delta: 'tests.' }),
  typed('response.output_item.added', {
    output_index: 2,
    item: { type: 'function_call', id: 'fc_1', call_id: 'call_R', name: 'shell', arguments: '' },
  }),
  typed('response.function_call_arguments.delta', { output_index: 2, item_id: 'fc_1', delta: '{"cmd":' }),
  typed('response.function_call_arguments.delta', { output_index: 2, item_id: 'fc_1', delta: '"npm test"}' }),
  typed('response.output_item.done', {
    output_index: 2,
    item: { type: 'function_call', id: 'fc_1', call_id: 'call_R', name: 'shell', arguments: '{"cmd":"npm test"}' },
  }),
  typed('response.completed', {
    response: { id: 'resp_1', model: 'gpt-5', status: 'completed', usage: { input_tokens: 300, output_tokens: 40 } },
  }),
].join('');

test('a Responses stream: text deltas, function call arguments, usage from response.completed', () => {
  assert.deepEqual(assemble(new OpenAiResponsesAssembler(), RESPONSES_STREAM, 9), {
    id: 'resp_1',
    model: 'gpt-5',
    text: 'Running tests.',
    toolUses: [{ id: 'call_R', name: 'shell', input: { cmd: 'npm test' } }],
    stopReason: 'completed',
    usage: { inputTokens: 300, outputTokens: 40 },
    truncated: false,
    error: null,
  });
});

test('a Responses stream without response.completed is truncated', () => {
  const cut = RESPONSES_STREAM.slice(0, RESPONSES_STREAM.indexOf('event: response.output_item.done'));
  const res = assemble(new OpenAiResponsesAssembler(), cut);
  assert.equal(res.truncated, true);
  // The argument fragments were whole, so the call still reads.
  assert.deepEqual(res.toolUses, [{ id: 'call_R', name: 'shell', input: { cmd: 'npm test' } }]);
  assert.equal(res.stopReason, null);
  const half = assemble(new OpenAiResponsesAssembler(), cut.slice(0, cut.indexOf('npm test')));
  assert.deepEqual(half.toolUses, [{ id: 'call_R', name: 'shell', input: null }]);
});

test('Responses errors: an error event, a failed response, an error body', () => {
  const event = assemble(new OpenAiResponsesAssembler(), typed('error', { code: 'server_error', message: 'boom' }));
  assert.equal(event.error, 'boom');
  assert.equal(event.truncated, true);
  const failed = assemble(
    new OpenAiResponsesAssembler(),
    typed('response.failed', { response: { id: 'resp_2', status: 'failed', error: { message: 'quota' } } }),
  );
  assert.deepEqual([failed.error, failed.stopReason, failed.truncated], ['quota', 'failed', false]);
  const body = new OpenAiResponsesAssembler();
  body.json({ error: { message: 'bad model', type: 'invalid_request_error' } });
  assert.equal(body.finish(false).error, 'bad model');
});

test('a whole Responses body: message text and function calls in output order', () => {
  const a = new OpenAiResponsesAssembler();
  a.json({
    id: 'resp_3',
    model: 'gpt-5',
    status: 'completed',
    error: null,
    output: [
      { type: 'reasoning', id: 'rs', summary: [] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.', annotations: [] }] },
      { type: 'function_call', call_id: 'call_Z', name: 'write', arguments: '{"path":"a"}' },
    ],
    usage: { input_tokens: 9, output_tokens: 3 },
  });
  assert.deepEqual(a.finish(false), {
    id: 'resp_3',
    model: 'gpt-5',
    text: 'Done.',
    toolUses: [{ id: 'call_Z', name: 'write', input: { path: 'a' } }],
    stopReason: 'completed',
    usage: { inputTokens: 9, outputTokens: 3 },
    truncated: false,
    error: null,
  });
});

test('garbage in either assembler yields a valid response, never a throw', () => {
  const junk = ['', 'null', '[1,2]', '{"choices":"x"}', '{"choices":[{"delta":{"tool_calls":[null,{"index":"a"}]}}]}'];
  junk.push('{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","arguments":7}}');
  junk.push('{"type":"response.output_text.delta","delta":{"x":1}}', '{"type":"response.completed","response":9}');
  for (const make of [() => new OpenAiChatAssembler(), () => new OpenAiResponsesAssembler()]) {
    const a = make();
    for (const d of junk) a.event({ event: 'message', data: d });
    LlmResponseSchema.parse(a.finish(false));
    for (const body of [null, 0, 'x', [], { output: 'x', choices: [null] }]) {
      const b = make();
      b.json(body);
      LlmResponseSchema.parse(b.finish(false));
    }
  }
});
