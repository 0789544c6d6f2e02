import assert from 'node:assert/strict';
import { test } from 'node:test';
import { functionCallId, GeminiAssembler, geminiMethod, isGeminiModelCall, parseGeminiRequest } from './gemini.js';
import { replaySse } from '../testing.js';
import { LlmRequestSchema, LlmResponseSchema, type LlmResponse, type ToolUse } from '../../../model/records.js';

const data = (chunk: object): string => `data: ${JSON.stringify(chunk)}\r\n\r\n`;
const candidate = (parts: object[], extra: object = {}) => ({
  candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }],
});

/** A streamed turn: a thought, text split over two events, then two function calls in one event. */
const STREAM = [
  data(candidate([{ text: 'private musing', thought: true }])),
  data(candidate([{ text: 'Let me ' }])),
  data(candidate([{ text: 'look.' }])),
  data(
    candidate([
      { functionCall: { name: 'run_shell_command', args: { command: 'ls -la' } }, thoughtSignature: 'sig' },
      { functionCall: { name: 'read_file', args: { file_path: '/etc/hosts' } } },
    ]),
  ),
  data({
    ...candidate([{ text: '' }], { finishReason: 'STOP' }),
    usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 87, totalTokenCount: 1287 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-1',
  }),
].join('');

function assemble(text: string, historyIndex: number, size = 7, seen: ToolUse[] = []): LlmResponse {
  const assembler = new GeminiAssembler(historyIndex);
  assembler.onToolUse = (u) => seen.push(u);
  return replaySse(assembler, text, size);
}

test('the model and method are read from the path', () => {
  assert.deepEqual(geminiMethod('/v1beta/models/gemini-2.5-flash:streamGenerateContent'), {
    model: 'gemini-2.5-flash',
    method: 'streamGenerateContent',
  });
  assert.equal(isGeminiModelCall('/v1beta/models/gemini-2.5-flash:generateContent'), true);
  assert.equal(isGeminiModelCall('/v1beta/models/gemini-2.5-flash:countTokens'), false);
  assert.equal(isGeminiModelCall('/v1beta/models'), false);
});

test('a streamed response: text without thoughts, each function call named and told at once', () => {
  const seen: ToolUse[] = [];
  const r = assemble(STREAM, 3, 7, seen);
  assert.equal(r.text, 'Let me look.');
  assert.equal(r.model, 'gemini-2.5-flash');
  assert.equal(r.id, 'resp-1');
  assert.equal(r.stopReason, 'STOP');
  assert.deepEqual(r.usage, { inputTokens: 1200, outputTokens: 87 });
  assert.equal(r.truncated, false);
  assert.deepEqual(r.toolUses, [
    {
      id: functionCallId(3, 0, 'run_shell_command', { command: 'ls -la' }),
      name: 'run_shell_command',
      input: { command: 'ls -la' },
    },
    {
      id: functionCallId(3, 1, 'read_file', { file_path: '/etc/hosts' }),
      name: 'read_file',
      input: { file_path: '/etc/hosts' },
    },
  ]);
  assert.deepEqual(seen, r.toolUses, 'each call is told as soon as it arrives');
  /* byte by byte, the same */
  assert.deepEqual(assemble(STREAM, 3, 1), r);
});

test('a stream cut before its finish reason is truncated; its whole calls are kept', () => {
  const cut = STREAM.slice(0, STREAM.lastIndexOf('data:'));
  const r = assemble(cut, 3);
  assert.equal(r.truncated, true);
  assert.equal(r.toolUses.length, 2);
});

test('a whole JSON body, or a list of them, is one response', () => {
  const one = new GeminiAssembler(1);
  one.json({
    ...candidate([{ text: 'hi' }, { functionCall: { name: 'glob', args: { pattern: '*.ts' } } }], {
      finishReason: 'STOP',
    }),
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2 },
  });
  const r = one.finish(false);
  assert.equal(r.text, 'hi');
  assert.equal(r.toolUses[0]?.name, 'glob');
  assert.equal(r.truncated, false);
  const list = new GeminiAssembler(1);
  list.json([candidate([{ text: 'a' }]), candidate([{ text: 'b' }], { finishReason: 'STOP' })]);
  assert.equal(list.finish(false).text, 'ab');
  const error = new GeminiAssembler(1);
  error.json({ error: { code: 429, message: 'quota exceeded', status: 'RESOURCE_EXHAUSTED' } });
  assert.equal(error.finish(false).error, 'quota exceeded');
});

test('a request: the final user turn, and each function response named after the call it answers', () => {
  const calls = [
    { name: 'run_shell_command', args: { command: 'ls' } },
    { name: 'read_file', args: { file_path: '/a' } },
    { name: 'run_shell_command', args: { command: 'pwd' } },
  ];
  /* the agent writes ids of its own into the calls it keeps (Gemini CLI does) */
  const kept = calls.map((c) => ({ functionCall: { id: `${c.name}_agent_made`, ...c } }));
  const contents = [
    { role: 'user', parts: [{ text: '<session_context>' }, { text: 'fix the tests' }] },
    { role: 'model', parts: [{ text: 'Looking.' }, ...kept] },
    {
      role: 'user',
      parts: [
        { functionResponse: { id: 'x', name: 'run_shell_command', response: { output: 'a b' } } },
        { functionResponse: { id: 'y', name: 'read_file', response: { error: 'no such file' } } },
        { functionResponse: { id: 'z', name: 'run_shell_command', response: { output: '/w' } } },
        { functionResponse: { id: 'q', name: 'never_called', response: { output: '?' } } },
      ],
    },
  ];
  const req = LlmRequestSchema.parse(
    parseGeminiRequest(
      { contents, tools: [{ functionDeclarations: [{ name: 'run_shell_command' }] }] },
      '/v1beta/models/gemini-2.5-pro:streamGenerateContent',
    ),
  );
  assert.equal(req.model, 'gemini-2.5-pro');
  assert.equal(req.stream, true);
  assert.equal(req.messageCount, 3);
  assert.equal(req.hasTools, true);
  assert.deepEqual(req.toolResults, [
    { toolUseId: functionCallId(1, 0, 'run_shell_command', { command: 'ls' }), content: 'a b', isError: false },
    { toolUseId: functionCallId(1, 1, 'read_file', { file_path: '/a' }), content: 'no such file', isError: true },
    { toolUseId: functionCallId(1, 2, 'run_shell_command', { command: 'pwd' }), content: '/w', isError: false },
  ]);
  /* the ids the assembler gave when that model message was the response to a 1-message history */
  const answered = assemble(
    data(candidate([{ text: 'Looking.' }, ...calls.map((c) => ({ functionCall: c }))], { finishReason: 'STOP' })),
    1,
  );
  assert.deepEqual(
    answered.toolUses.map((u) => u.id),
    req.toolResults.map((r) => r.toolUseId),
  );
  const plain = parseGeminiRequest(
    { contents: [{ role: 'user', parts: [{ text: 'hello' }] }] },
    '/v1/models/m:generateContent',
  );
  assert.equal(plain.lastUserText, 'hello');
  assert.equal(plain.stream, false);
});

test('hostile or malformed input yields empty fields, never a throw', () => {
  for (const body of [null, 7, 'text', [], { contents: 'nope' }, { contents: [null, 3, { parts: 'x' }] }]) {
    LlmRequestSchema.parse(parseGeminiRequest(body, '/weird'));
  }
  const a = new GeminiAssembler(0);
  for (const d of ['not json', '{"candidates": 3}', '{"candidates":[{"content":{"parts":[{"functionCall":{}}]}}]}'])
    a.event({ event: 'message', data: d });
  a.json('a string');
  const r = LlmResponseSchema.parse(a.finish(false));
  assert.deepEqual(r.toolUses, []);
  assert.equal(r.error, 'the response body is not a JSON object');
});
