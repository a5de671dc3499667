// Tests of the function runner: run with `npm test` (node --test).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFunction, childEnvironment, isolation, Outcome, MAX_OUTPUT_BYTES } from '../runner.js';

let root;

before(async () => { root = await mkdtemp(join(tmpdir(), 'faas-sink-node-test-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

/** Writes `source` to a file and runs it. */
async function run(source, options = {}) {
  const file = join(root, `f${Math.random().toString(36).slice(2)}.js`);
  await writeFile(file, source);
  return runFunction({ file, workRoot: root, timeoutMs: 10_000, memoryMb: 64, ...options });
}

test('the example function upper-cases its payload', async () => {
  const file = fileURLToPath(new URL('../examples/upper.js', import.meta.url));
  const result = await runFunction({ file, payload: Buffer.from('hello, sink'), workRoot: root, timeoutMs: 10_000, memoryMb: 64 });
  assert.equal(result.outcome, Outcome.OK, result.stderrTail);
  assert.equal(result.output.toString(), 'HELLO, SINK');
  assert.ok(result.runMicros > 0);
});

test('stdout is the output, stderr the log, exit code 0 is OK', async () => {
  const result = await run(`
    const input = require('node:fs').readFileSync(0, 'utf8');
    console.error('log line');
    process.stdout.write('got ' + input);
  `, { payload: Buffer.from('payload') });
  assert.equal(result.outcome, Outcome.OK);
  assert.equal(result.output.toString(), 'got payload');
  assert.equal(result.stderrTail, 'log line\n');
  assert.equal(result.exitCode, 0);
  assert.equal(result.error, '');
});

test('a non-zero exit code is EXITED_NON_ZERO', async () => {
  const result = await run(`process.stdout.write('partial'); process.exitCode = 3;`);
  assert.equal(result.outcome, Outcome.EXITED_NON_ZERO);
  assert.equal(result.exitCode, 3);
  assert.equal(result.error, 'exited with code 3');
  assert.equal(result.output.toString(), 'partial');
});

test('an uncaught exception is EXITED_NON_ZERO with the stack in stderr', async () => {
  const result = await run(`throw new Error('boom');`);
  assert.equal(result.outcome, Outcome.EXITED_NON_ZERO);
  assert.equal(result.exitCode, 1);
  assert.match(result.stderrTail, /Error: boom/);
});

test('a run past its timeout is killed: TIMEOUT', async () => {
  const started = Date.now();
  const result = await run(`for (;;) {}`, { timeoutMs: 300 });
  assert.equal(result.outcome, Outcome.TIMEOUT);
  assert.equal(result.error, 'timed out after 300 ms');
  assert.ok(Date.now() - started < 5_000);
});

test('a run over its heap limit is OUT_OF_MEMORY', async () => {
  const result = await run(`const keep = []; for (;;) keep.push(new Array(100_000).fill(Math.random()));`, { memoryMb: 16 });
  assert.equal(result.outcome, Outcome.OUT_OF_MEMORY);
  assert.match(result.stderrTail, /heap out of memory/);
  assert.ok(result.stderrTail.length <= 4096);
});

test('a heap too small for Node to start is OUT_OF_MEMORY', async () => {
  const result = await run(`process.stdout.write('never');`, { memoryMb: 1 });
  assert.equal(result.outcome, Outcome.OUT_OF_MEMORY, result.stderrTail);
});

test('output over 6 MiB fails the run', async () => {
  const result = await run(`
    const chunk = Buffer.alloc(1024 * 1024, 120);
    for (let i = 0; i < 8; i++) process.stdout.write(chunk);
  `, { memoryMb: 128 });
  assert.equal(result.outcome, Outcome.TRAPPED);
  assert.equal(result.error, 'output over 6 MiB');
  assert.ok(result.output.length <= MAX_OUTPUT_BYTES);
});

test('the environment holds the FAAS_ variables and the function env, nothing else', async () => {
  process.env.SINK_OWN_SECRET = 'must not leak';
  const env = childEnvironment({
    executionId: 'e1', traceId: 't1', functionName: 'hello-js', version: 7,
    env: { GREETING: 'hi', API_KEY: 'secret', NODE_OPTIONS: '--allow-fs-read=*' },
  });
  const result = await run(`process.stdout.write(JSON.stringify(process.env));`, { env });
  assert.equal(result.outcome, Outcome.OK, result.stderrTail);
  assert.deepEqual(JSON.parse(result.output.toString()), {
    GREETING: 'hi', API_KEY: 'secret',
    FAAS_EXECUTION_ID: 'e1', FAAS_TRACE_ID: 't1', FAAS_FUNCTION: 'hello-js', FAAS_VERSION: '7',
  });
});

test('the working directory is a fresh empty folder, removed afterwards', async () => {
  const result = await run(`
    const fs = require('node:fs');
    let entries; try { entries = fs.readdirSync('.'); } catch (e) { entries = e.code; }
    process.stdout.write(JSON.stringify({ cwd: process.cwd(), entries }));
  `);
  const { cwd, entries } = JSON.parse(result.output.toString());
  assert.ok(cwd.startsWith(root));
  assert.ok(entries === 'ERR_ACCESS_DENIED' || (Array.isArray(entries) && entries.length === 0));
  await assert.rejects(() => import('node:fs/promises').then((fs) => fs.stat(cwd)));
});

test('with the permission model the function cannot read or write files or start processes', { skip: !isolation().permissionFlag }, async () => {
  const result = await run(`
    const fs = require('node:fs');
    const attempt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.code; } };
    process.stdout.write(JSON.stringify({
      read: attempt(() => fs.readFileSync('/etc/hostname')),
      readSelf: attempt(() => fs.readFileSync(__filename)),
      write: attempt(() => fs.writeFileSync('out.txt', 'x')),
      spawn: attempt(() => require('node:child_process').execFileSync(process.execPath, ['-e', ''])),
    }));
  `);
  assert.equal(result.outcome, Outcome.OK, result.stderrTail);
  assert.deepEqual(JSON.parse(result.output.toString()), {
    read: 'ERR_ACCESS_DENIED', readSelf: 'allowed', write: 'ERR_ACCESS_DENIED', spawn: 'ERR_ACCESS_DENIED',
  });
});

test('a function written as an ES module runs', { skip: !isolation().extraFlags.includes('--experimental-detect-module') && Number(process.versions.node.split('.')[0]) < 22 }, async () => {
  const result = await run(`
    import { readFileSync } from 'node:fs';
    process.stdout.write(readFileSync(0, 'utf8').split('').reverse().join(''));
  `, { payload: Buffer.from('abc') });
  assert.equal(result.outcome, Outcome.OK, result.stderrTail);
  assert.equal(result.output.toString(), 'cba');
});
