// The sink against an in-process fake SinkProtocol server: login, register, pull, ack, artifact, complete,
// heartbeat, re-login on UNAUTHENTICATED, and deregister on shutdown.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import grpc from '@grpc/grpc-js';
import { loadProtocol, Sink } from '../sink.js';

const protocol = loadProtocol();
const source = Buffer.from(`
  const input = require('node:fs').readFileSync(0, 'utf8');
  console.error('hello from', process.env.FAAS_FUNCTION);
  process.stdout.write(input.toUpperCase() + ':' + process.env.GREETING);
`);
const sha256 = createHash('sha256').update(source).digest('hex');

/** A fake sink manager recording every call. */
function fakeManager({ heartbeats = [] } = {}) {
  const calls = [];
  const completed = [];
  let tokenCount = 0;
  let pullStream = null;
  let rejectNextAck = true;
  const authorized = (call) => /^Bearer tok-\d+$/.test(call.metadata.get('authorization')[0] ?? '');
  const deny = (callback) => callback({ code: grpc.status.UNAUTHENTICATED, details: 'no token' });

  const server = new grpc.Server();
  server.addService(protocol.SinkProtocol.service, {
    Login(call, callback) {
      calls.push('Login');
      if (call.request.credential !== 'fsc_id_secret') return deny(callback);
      callback(null, { token: `tok-${++tokenCount}`, expires_at: { seconds: Math.floor(Date.now() / 1000) + 900, nanos: 0 } });
    },
    Register(call, callback) {
      calls.push('Register');
      if (!authorized(call)) return deny(callback);
      assert.deepEqual(call.request.capacity.runtimes, ['javascript']);
      assert.deepEqual(call.request.capacity.modes, ['WARM']);
      assert.equal(call.request.labels.runtime, 'node');
      callback(null, { sink_id: 'sink-1', heartbeat_interval_ms: 100, offline_after_ms: 1000 });
    },
    Heartbeat(call, callback) {
      calls.push('Heartbeat');
      if (!authorized(call)) return deny(callback);
      const next = heartbeats.shift() ?? 'SINK_ONLINE';
      if (next === 'NOT_FOUND') return callback({ code: grpc.status.NOT_FOUND, details: 'unknown sink' });
      callback(null, { state: next });
    },
    Pull(call) {
      calls.push('Pull');
      pullStream = call;
      call.write({
        task_id: 'task-1', execution_id: 'exec-1', trace_id: 'trace-1', payload: Buffer.from('abc'), delivery: 1, lease_ms: 10_000,
        function: { name: 'hello-js', version: 2, module_sha256: sha256, timeout_ms: 5_000, memory_mb: 64, env: { GREETING: 'hi' }, runtime: 'javascript' },
      });
    },
    Ack(call, callback) {
      calls.push('Ack');
      // The first Ack is refused as if the token had expired: the sink must log in again and retry.
      if (rejectNextAck) { rejectNextAck = false; return deny(callback); }
      if (!authorized(call)) return deny(callback);
      callback(null, {});
    },
    GetArtifact(call, callback) {
      calls.push('GetArtifact');
      if (call.request.module_sha256 !== sha256) return callback({ code: grpc.status.NOT_FOUND, details: 'unknown' });
      callback(null, { content_type: 'text/javascript', data: source });
    },
    Complete(call, callback) {
      calls.push('Complete');
      completed.push(call.request);
      callback(null, {});
    },
    Release(call, callback) { calls.push('Release'); callback(null, {}); },
    Deregister(call, callback) {
      calls.push('Deregister');
      pullStream?.end();
      callback(null, {});
    },
  });
  return { server, calls, completed, tokens: () => tokenCount };
}

async function listen(fake) {
  return new Promise((resolve, reject) =>
    fake.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
}

async function until(condition, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

test('login, register, pull, ack, fetch, run, complete, heartbeat, deregister', async () => {
  const fake = fakeManager();
  const port = await listen(fake);

  const sink = new Sink({
    manager: `http://127.0.0.1:${port}`, credential: 'fsc_id_secret', name: 'test-sink',
    slots: 2, memoryMb: 512, maxFunctionMemoryMb: 256, drainTimeoutMs: 5_000,
  }, { protocol });
  const running = sink.run();

  await until(() => fake.completed.length > 0 && fake.calls.includes('Heartbeat'));

  assert.equal(fake.completed.length, 1, `calls: ${fake.calls.join(' ')}`);
  const { sink_id, task_id, result } = fake.completed[0];
  assert.equal(sink_id, 'sink-1');
  assert.equal(task_id, 'task-1');
  assert.equal(result.outcome, 'OK', result.stderr_tail);
  assert.equal(result.output.toString(), 'ABC:hi');
  assert.equal(result.stderr_tail, 'hello from hello-js\n');
  assert.equal(result.worker, 'test-sink');
  assert.equal(result.cold, true);
  assert.ok(Number(result.run_micros) > 0);
  assert.ok(Number(result.handler_micros) >= Number(result.run_micros));
  assert.equal(fake.tokens(), 2, 'logged in again after UNAUTHENTICATED');
  assert.deepEqual(fake.calls.slice(0, 3), ['Login', 'Register', 'Pull']);
  assert.ok(sink.load().warm_modules.includes(sha256));

  await sink.shutdown('SIGTERM');
  await running;
  assert.ok(fake.calls.includes('Deregister'));
  fake.server.forceShutdown();
});

test('registers again on NOT_FOUND, stops pulling when draining, exits 0 when deleted', async () => {
  const fake = fakeManager({ heartbeats: ['NOT_FOUND', 'SINK_ONLINE', 'SINK_ONLINE', 'SINK_ONLINE', 'SINK_ONLINE', 'SINK_ONLINE', 'SINK_DRAINING', 'SINK_DRAINING', 'SINK_DELETED'] });
  const port = await listen(fake);
  let exitCode;
  const sink = new Sink({
    manager: `127.0.0.1:${port}`, credential: 'fsc_id_secret', name: 'test-sink-2',
    slots: 1, memoryMb: 256, maxFunctionMemoryMb: 128, drainTimeoutMs: 5_000,
  }, { protocol, exit: (code) => { exitCode = code; } });
  const running = sink.run();

  await until(() => exitCode !== undefined);
  assert.equal(exitCode, 0, `calls: ${fake.calls.join(' ')}`);
  assert.equal(fake.calls.filter((c) => c === 'Register').length, 2, 'registered again after NOT_FOUND');
  assert.ok(fake.calls.filter((c) => c === 'Pull').length >= 2, 'pulled again under the new registration');
  assert.ok(!fake.calls.includes('Deregister'), 'a deleted sink does not deregister');
  assert.equal(sink.accepting, false);
  await running;
  fake.server.forceShutdown();
});
