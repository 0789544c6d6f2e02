import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnthropicAssembler, parseAnthropicRequest } from './anthropic.js';
import { replaySse } from '../testing.js';
import { LlmRequestSchema, LlmResponseSchema, type LlmResponse } from '../../../model/records.js';

const sse = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A streamed turn: thinking, text, two tool calls whose arguments arrive in fragments. */
const STREAM = [
  sse('message_start', {
    message: { id: 'msg_01', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 1200, output_tokens: 1 } },
  }),
  sse('ping', {}),
  sse('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'private musing' } }),
  sse('content_block_stop', { index: 0 }),
  sse('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  sse('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Let me ' } }),
  sse('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'look.' } }),
  sse('content_block_stop', { index: 1 }),
  sse('content_block_start', {
    index: 2,
    content_block: { type: 'tool_use', id: 'toolu_A', name: 'Bash', input: {} },
  }),
  sse('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  sse('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"command": "ls' } }),
  sse('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: ' -la"}' } }),
  sse('content_block_stop', { index: 2 }),
  sse('content_block_start', { index: 3, content_block: { type: 'tool_use', id: 'toolu_B', name: 'Read', input: {} } }),
  sse('content_block_delta', {
    index: 3,
    delta: { type: 'input_json_delta', partial_json: '{"file_path":"/etc/hosts"}' },
  }),
  sse('content_block_stop', { index: 3 }),
  sse('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 87 } }),
  sse('message_stop', {}),
].join('');

/** The stream replayed through a fresh assembler, cut into pieces of `size` bytes. */
const assemble = (text: string, size = 7): LlmResponse => replaySse(new AnthropicAssembler(), text, size);

test('a request: model, stream, tools, and the final user message with its tool results', () => {
  const req = parseAnthropicRequest({
    model: 'claude-sonnet-4-5',
    stream: true,
    tools: [{ name: 'Bash', input_schema: {} }],
    messages: [
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_A', name: 'Bash', input: { command: 'ls' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_A', content: 'a.txt\nb.txt' },
          {
            type: 'tool_result',
            tool_use_id: 'toolu_B',
            is_error: true,
            content: [
              { type: 'text', text: 'permission denied' },
              { type: 'image', source: {} },
            ],
          },
          { type: 'image', source: { type: 'base64', data: 'AAAA' } },
          { type: 'text', text: 'now fix it' },
        ],
      },
    ],
  });
  assert.deepEqual(req, {
    model: 'claude-sonnet-4-5',
    stream: true,
    messageCount: 3,
    lastUserText: 'now fix it',
    toolResults: [
      { toolUseId: 'toolu_A', content: 'a.txt\nb.txt', isError: false },
      { toolUseId: 'toolu_B', content: 'permission denied', isError: true },
    ],
    hasTools: true,
  });
});

test('a side request: no tools, and an assistant prefill after the user message', () => {
  const req = parseAnthropicRequest({
    model: 'claude-haiku',
    messages: [
      { role: 'user', content: 'Summarise this title' },
      { role: 'assistant', content: '{' },
    ],
  });
  assert.equal(req.lastUserText, 'Summarise this title');
  assert.equal(req.hasTools, false);
  assert.equal(req.stream, false);
});

test('a malformed request still reads as a valid request', () => {
  const bodies: unknown[] = [
    null,
    42,
    'text',
    [],
    { messages: 'no' },
    { model: 7, stream: 'yes', tools: {}, messages: [null, 3, { role: 'user', content: 9 }] },
    { messages: [{ role: 'user', content: [null, { type: 'tool_result', tool_use_id: 5, content: { x: 1 } }] }] },
  ];
  for (const body of bodies) LlmRequestSchema.parse(parseAnthropicRequest(body));
  const odd = parseAnthropicRequest(bodies[6]);
  assert.deepEqual(odd.toolResults, [{ toolUseId: '', content: '', isError: false }]);
});

test('request text is cut to 16 KiB without splitting a character', () => {
  const req = parseAnthropicRequest({ messages: [{ role: 'user', content: 'é'.repeat(20_000) }] });
  assert.equal(Buffer.byteLength(req.lastUserText), 16 * 1024);
  assert.ok(!req.lastUserText.includes('\uFFFD'));
});

test('a streamed response: text joined, thinking left out, tool uses in block order with parsed input', () => {
  for (const size of [1, 7, 1000, STREAM.length]) {
    assert.deepEqual(assemble(STREAM, size), {
      id: 'msg_01',
      model: 'claude-sonnet-4-5',
      text: 'Let me look.',
      toolUses: [
        { id: 'toolu_A', name: 'Bash', input: { command: 'ls -la' } },
        { id: 'toolu_B', name: 'Read', input: { file_path: '/etc/hosts' } },
      ],
      stopReason: 'tool_use',
      usage: { inputTokens: 1200, outputTokens: 87 },
      truncated: false,
      error: null,
    });
  }
});

test('a stream cut short: truncated, and a tool use with half its JSON has input null', () => {
  const cut = STREAM.slice(0, STREAM.indexOf(' -la'));
  const res = assemble(cut);
  assert.equal(res.truncated, true);
  assert.deepEqual(res.toolUses, [{ id: 'toolu_A', name: 'Bash', input: null }]);
  assert.equal(res.text, 'Let me look.');
  // Complete except for message_stop: everything parsed, still truncated.
  const noStop = assemble(STREAM.slice(0, STREAM.indexOf('event: message_stop')));
  assert.equal(noStop.truncated, true);
  assert.equal(noStop.toolUses.length, 2);
});

test('a tool use whose whole JSON does not parse keeps input null and marks the response truncated', () => {
  const bad = STREAM.replace('{\\"file_path\\":\\"/etc/hosts\\"}', '{\\"file_path\\":');
  const res = assemble(bad);
  assert.deepEqual(res.toolUses[1], { id: 'toolu_B', name: 'Read', input: null });
  assert.equal(res.truncated, true);
});

test('an error event is reported', () => {
  const res = assemble(sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
  assert.equal(res.error, 'Overloaded');
  assert.equal(res.truncated, true);
});

test('garbage events are ignored, never thrown on', () => {
  const assembler = new AnthropicAssembler();
  for (const data of ['not json', 'null', '7', '[]', '{"type":"content_block_delta"}', '{"type":"message_start"}']) {
    assembler.event({ event: 'message', data });
  }
  assembler.event({ event: 'content_block_start', data: '{"index":-1,"content_block":{"type":"tool_use"}}' });
  assembler.event({ event: 'content_block_delta', data: '{"index":0,"delta":{"type":"text_delta","text":5}}' });
  const res = LlmResponseSchema.parse(assembler.finish(false));
  assert.deepEqual(res.toolUses, []);
  assert.equal(res.truncated, true);
});

test('a whole JSON body: text blocks joined, tool uses with their input, usage', () => {
  const assembler = new AnthropicAssembler();
  assembler.json({
    id: 'msg_02',
    type: 'message',
    model: 'claude-opus-4-1',
    content: [
      { type: 'text', text: 'Reading it.' },
      { type: 'tool_use', id: 'toolu_C', name: 'Read', input: { file_path: 'a' } },
      { type: 'text', text: 'And the other.' },
    ],
    stop_reason: 'tool_use',
    usage: { input_tokens: 10, output_tokens: 20 },
  });
  assert.deepEqual(assembler.finish(false), {
    id: 'msg_02',
    model: 'claude-opus-4-1',
    text: 'Reading it.\nAnd the other.',
    toolUses: [{ id: 'toolu_C', name: 'Read', input: { file_path: 'a' } }],
    stopReason: 'tool_use',
    usage: { inputTokens: 10, outputTokens: 20 },
    truncated: false,
    error: null,
  });
});

test('an error body, and bodies of the wrong shape', () => {
  const error = new AnthropicAssembler();
  error.json({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: too large' } });
  assert.equal(error.finish(false).error, 'max_tokens: too large');
  for (const body of [null, 3, 'x', [], { content: 'x', usage: { input_tokens: -1 } }]) {
    const a = new AnthropicAssembler();
    a.json(body);
    const res = LlmResponseSchema.parse(a.finish(false));
    assert.equal(res.truncated, false);
    assert.equal(res.usage, null);
  }
});

test('response text is cut to 64 KiB', () => {
  const delta = sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'z'.repeat(10_000) } });
  const res = assemble(delta.repeat(10) + sse('message_stop', {}), 4096);
  assert.equal(res.text.length, 64 * 1024);
});
