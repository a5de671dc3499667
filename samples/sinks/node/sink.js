// A Faas sink that runs JavaScript functions with Node.js.
//
// It speaks faas.v1.SinkProtocol (protos/faas/v1/sinks.proto) with the sink manager: logs in with a sink
// credential, registers its capacity, heartbeats its load, pulls tasks, acknowledges them, fetches the code,
// runs it in a child Node.js process (runner.js) and posts the result. Configuration is read from the
// environment; see README.md.

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { cpus, hostname, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnvironment, isolation, runFunction, Outcome } from './runner.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const CALL_DEADLINE_MS = 30_000;
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const CPU_EMA_WEIGHT = 0.3;

// ---------------------------------------------------------------------------------------------------------
// Protocol
// ---------------------------------------------------------------------------------------------------------

/**
 * Loads faas.v1 from the repository's protos/ folder. google/api/*.proto (and google/protobuf/*.proto)
 * come from the google-proto-files package; proto-loader adds protobufjs's own google/protobuf copies too.
 */
export function loadProtocol(protosDir = join(here, '..', '..', '..', 'protos')) {
  const googleProtos = dirname(require.resolve('google-proto-files/package.json'));
  const definition = protoLoader.loadSync('faas/v1/sinks.proto', {
    includeDirs: [protosDir, googleProtos],
    keepCase: true, // field names as in the .proto files: sink_id, module_sha256, ...
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).faas.v1;
}

/** The channel credentials and target for FAAS_SINK_MANAGER: http://host:port (h2c) or https://host:port. */
export function channelFor(address) {
  const url = new URL(address.includes('://') ? address : `http://${address}`);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const credentials = url.protocol === 'https:' ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
  return { target: `${url.hostname}:${port}`, credentials };
}

// ---------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------

export function configFromEnvironment(env = process.env) {
  const number = (name, fallback) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a whole number, not "${value}"`);
    return parsed;
  };
  const config = {
    manager: env.FAAS_SINK_MANAGER ?? '',
    credential: env.FAAS_SINK_CREDENTIAL ?? '',
    name: env.FAAS_SINK_NAME || `node-${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63),
    slots: number('FAAS_SINK_SLOTS', cpus().length || 1),
    memoryMb: number('FAAS_SINK_MEMORY_MB', 1024),
    maxFunctionMemoryMb: number('FAAS_SINK_MAX_FUNCTION_MEMORY_MB', 512),
    drainTimeoutMs: 30_000,
  };
  if (!config.manager) throw new Error('FAAS_SINK_MANAGER is not set (the sink manager\'s gRPC address, e.g. http://127.0.0.1:5123)');
  if (!config.credential) throw new Error('FAAS_SINK_CREDENTIAL is not set (fsc_<id>_<secret>, from POST /v1/sinkCredentials)');
  return config;
}

// ---------------------------------------------------------------------------------------------------------
// The sink
// ---------------------------------------------------------------------------------------------------------

const log = (...parts) => console.log(new Date().toISOString(), ...parts);
const describe = (error) => (error?.code !== undefined ? `${grpc.status[error.code] ?? error.code}: ${error.details ?? error.message}` : String(error?.message ?? error));
const micros = (since) => Number((process.hrtime.bigint() - since) / 1000n);

export class Sink {
  constructor(config, { protocol = loadProtocol(), exit = process.exit } = {}) {
    this.config = config;
    this.exit = exit;
    const { target, credentials } = channelFor(config.manager);
    this.client = new protocol.SinkProtocol(target, credentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // Notice a dead connection under a long Pull.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });

    this.token = null;          // bearer token from Login
    this.refreshAt = 0;         // when to log in again (two thirds of the token's lifetime)
    this.loggingIn = null;      // the Login in progress, shared by concurrent callers
    this.sinkId = null;         // from Register
    this.registering = null;    // the Register in progress
    this.heartbeatMs = 5_000;

    this.accepting = true;      // false once draining or stopping: no new tasks
    this.stopping = false;
    this.deleted = false;
    this.closed = false;        // deregistered (or deleted): heartbeats stop
    this.pull = null;           // the open Pull call
    this.tasks = new Map();     // task_id -> { pid } of the tasks in hand
    this.idle = [];             // resolvers waiting for tasks to reach zero

    this.workRoot = mkdtempSync(join(tmpdir(), 'faas-sink-node-'));
    this.code = new Map();      // module_sha256 -> path of the cached source on disk
    this.fetching = new Map();  // module_sha256 -> Promise<path>, for concurrent first runs

    this.cpu = 0;               // EMA of the process's CPU share of the machine
    this.lastCpu = { usage: process.cpuUsage(), children: childrenCpuMicros(), at: process.hrtime.bigint() };
  }

  // --- calls -------------------------------------------------------------------------------------------

  /** Logs in unless a login is under way or the token is still fresh (or `force`). */
  async login(force = false) {
    if (!force && this.token && Date.now() < this.refreshAt) return;
    this.loggingIn ??= (async () => {
      try {
        const response = await this.unary('Login', { credential: this.config.credential }, { anonymous: true });
        const expiresAt = Number(response.expires_at?.seconds ?? 0) * 1000 + Math.floor((response.expires_at?.nanos ?? 0) / 1e6);
        const lifetime = Math.max(expiresAt - Date.now(), 0);
        this.token = response.token;
        this.refreshAt = Date.now() + (lifetime > 0 ? (lifetime * 2) / 3 : 60_000);
        log(`logged in; token valid for ${Math.round(lifetime / 1000)} s`);
      } finally {
        this.loggingIn = null;
      }
    })();
    return this.loggingIn;
  }

  metadata() {
    const metadata = new grpc.Metadata();
    if (this.token) metadata.set('authorization', `Bearer ${this.token}`);
    return metadata;
  }

  /** One unary call, with a deadline. */
  unary(method, request, { anonymous = false, deadlineMs = CALL_DEADLINE_MS } = {}) {
    return new Promise((resolve, reject) => {
      const metadata = anonymous ? new grpc.Metadata() : this.metadata();
      this.client[method](request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
        (error ? reject(error) : resolve(response)));
    });
  }

  /** A unary call that needs the token: logs in first when due, and once more on UNAUTHENTICATED. */
  async call(method, request, options) {
    await this.login();
    try {
      return await this.unary(method, request, options);
    } catch (error) {
      if (error.code !== grpc.status.UNAUTHENTICATED) throw error;
      await this.login(true);
      return this.unary(method, request, options);
    }
  }

  /** Registers (again); the sink manager answers with our id and the heartbeat interval. */
  async register() {
    this.registering ??= (async () => {
      try {
        const { permissionFlag } = isolation();
        const response = await this.call('Register', {
          name: this.config.name,
          capacity: {
            slots: this.config.slots,
            memory_mb: this.config.memoryMb,
            max_function_memory_mb: this.config.maxFunctionMemoryMb,
            runtimes: ['javascript'],
            modes: ['WARM'],
          },
          push_address: '',
          labels: {
            runtime: 'node',
            node_version: process.versions.node,
            isolation: permissionFlag ? 'permission-model' : 'none',
          },
        });
        this.sinkId = response.sink_id;
        this.heartbeatMs = response.heartbeat_interval_ms || 5_000;
        log(`registered as ${this.config.name} (${this.sinkId}); heartbeat every ${this.heartbeatMs} ms`);
      } finally {
        this.registering = null;
      }
    })();
    return this.registering;
  }

  /** Logs in and registers, retrying with a backoff until it works (or the sink stops). */
  async connect() {
    for (let backoff = 500; !this.stopping; backoff = Math.min(backoff * 2, 10_000)) {
      try {
        await this.login();
        await this.register();
        return;
      } catch (error) {
        log(`could not register: ${describe(error)}; retrying in ${backoff} ms`);
        if (error.code === grpc.status.UNAUTHENTICATED) this.token = null;
        await sleep(backoff);
      }
    }
  }

  // --- heartbeat ---------------------------------------------------------------------------------------

  async heartbeatLoop() {
    while (!this.closed) {
      await sleep(this.heartbeatMs);
      if (this.closed) return;
      try {
        await this.heartbeat();
      } catch (error) {
        log(`heartbeat failed: ${describe(error)}`);
      }
    }
  }

  async heartbeat() {
    if (!this.sinkId) return;
    let response;
    try {
      response = await this.call('Heartbeat', { sink_id: this.sinkId, load: this.load() }, { deadlineMs: Math.max(this.heartbeatMs, 5_000) });
    } catch (error) {
      if (error.code !== grpc.status.NOT_FOUND || this.stopping) throw error;
      if (!this.accepting) {
        // Draining, and now unknown: the sink was deleted and drained.
        await this.finishDeleted();
        return;
      }
      // The sink manager restarted (or forgot us): register again, and pull under the new id.
      log('the sink manager does not know this sink; registering again');
      await this.register();
      this.pull?.cancel();
      return;
    }
    if (response.state === 'SINK_DRAINING' && this.accepting) {
      log('draining: taking no new tasks, finishing the running ones');
      this.stopAccepting();
    } else if (response.state === 'SINK_DELETED') {
      await this.finishDeleted();
    }
  }

  /** Deleted by an administrator: finish what runs, then exit 0 (no Deregister: the sink is gone). */
  async finishDeleted() {
    if (this.deleted) return;
    log('deleted: finishing the running tasks, then exiting');
    this.deleted = true;
    this.closed = true;
    this.stopAccepting();
    await this.waitIdle(this.config.drainTimeoutMs);
    this.cleanup();
    this.exit(0);
  }

  /** The load reported with each heartbeat. */
  load() {
    const now = { usage: process.cpuUsage(), children: childrenCpuMicros(), at: process.hrtime.bigint() };
    const cpuMicros = (now.usage.user - this.lastCpu.usage.user) + (now.usage.system - this.lastCpu.usage.system)
      + Math.max(now.children - this.lastCpu.children, 0);
    const wallMicros = Number((now.at - this.lastCpu.at) / 1000n);
    this.lastCpu = now;
    if (wallMicros > 0) {
      const share = Math.min(Math.max(cpuMicros / (wallMicros * (cpus().length || 1)), 0), 1);
      this.cpu = CPU_EMA_WEIGHT * share + (1 - CPU_EMA_WEIGHT) * this.cpu;
    }

    let memoryBytes = process.memoryUsage().rss;
    for (const task of this.tasks.values()) if (task.pid) memoryBytes += processRss(task.pid);

    return {
      cpu: this.cpu,
      memory_bytes: memoryBytes,
      in_flight: this.tasks.size,
      warm_modules: [...this.code.keys()],
    };
  }

  // --- pull --------------------------------------------------------------------------------------------

  /** Keeps a Pull open while the sink takes work; reopens it after a short backoff when it ends. */
  async pullLoop() {
    let backoff = 250;
    while (this.accepting) {
      const opened = Date.now();
      try {
        await this.pullOnce();
        if (this.accepting) log('the task stream ended; reopening');
      } catch (error) {
        if (!this.accepting) break;
        log(`the task stream failed: ${describe(error)}`);
        if (error.code === grpc.status.UNAUTHENTICATED) await this.login(true).catch((e) => log(`login failed: ${describe(e)}`));
        if (error.code === grpc.status.NOT_FOUND) await this.register().catch((e) => log(`register failed: ${describe(e)}`));
      }
      if (!this.accepting) break;
      // A stream that stayed open a while was healthy: start the backoff over.
      if (Date.now() - opened > 10_000) backoff = 250;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 5_000);
    }
  }

  /** One Pull call: resolves when the server ends it, rejects when it fails. */
  async pullOnce() {
    await this.login();
    if (!this.sinkId) await this.register();
    const sinkId = this.sinkId;
    return new Promise((resolve, reject) => {
      const call = this.client.Pull({ sink_id: sinkId }, this.metadata());
      this.pull = call;
      let settled = false;
      const settle = (error) => {
        if (settled) return;
        settled = true;
        if (this.pull === call) this.pull = null;
        error ? reject(error) : resolve();
      };
      call.on('data', (task) => {
        // Never let one task's failure escape into the stream.
        this.handleTask(sinkId, task).catch((error) => log(`task ${task.task_id}: ${describe(error)}`));
      });
      call.on('error', (error) => settle(error.code === grpc.status.CANCELLED ? null : error));
      call.on('status', (status) => settle(status.code === grpc.status.OK ? null : Object.assign(new Error(status.details), status)));
      call.on('end', () => setImmediate(() => settle(null)));
    });
  }

  stopAccepting() {
    this.accepting = false;
    this.pull?.cancel();
  }

  // --- tasks -------------------------------------------------------------------------------------------

  async handleTask(sinkId, task) {
    const received = process.hrtime.bigint();
    const ref = { sink_id: sinkId, task_id: task.task_id };
    const fn = task.function ?? {};

    if (!this.accepting) {
      await this.release(ref, 'the sink is not taking new tasks');
      return;
    }

    const state = { pid: 0 };   // the child's pid once it runs, for memory accounting and shutdown
    this.tasks.set(task.task_id, state);
    try {
      // Acknowledge at once, or the task goes to another sink.
      try {
        await this.call('Ack', ref);
      } catch (error) {
        log(`task ${task.task_id}: ack failed (${describe(error)}); dropping it`);
        return;
      }

      if (fn.runtime && fn.runtime !== 'javascript') {
        await this.complete(ref, received, failure(Outcome.INSTANTIATION_FAILED, `this sink runs javascript, not ${fn.runtime}`, this.config.name, false));
        return;
      }

      let file;
      let cold;
      try {
        ({ file, cold } = await this.artifact(sinkId, fn.module_sha256));
      } catch (error) {
        log(`task ${task.task_id}: could not get the code of ${fn.name} (${describe(error)})`);
        await this.release(ref, 'could not get the code');
        return;
      }

      // Draining or stopping began while we fetched: hand the task back unrun.
      if (!this.accepting) {
        await this.release(ref, 'the sink stopped taking tasks');
        return;
      }

      const run = await runFunction({
        file,
        payload: task.payload ?? Buffer.alloc(0),
        env: childEnvironment({
          executionId: task.execution_id,
          traceId: task.trace_id,
          functionName: fn.name,
          version: fn.version,
          env: fn.env,
        }),
        memoryMb: fn.memory_mb,
        timeoutMs: fn.timeout_ms,
        workRoot: this.workRoot,
        onSpawn: (pid) => { state.pid = pid; },
      });

      await this.complete(ref, received, {
        outcome: run.outcome,
        output: run.output,
        exit_code: run.exitCode,
        error: run.error,
        stderr_tail: run.stderrTail,
        worker: this.config.name,
        run_micros: run.runMicros,
        cold,
      });
      log(`task ${task.task_id}: ${fn.name} v${fn.version} ${run.outcome} in ${(run.runMicros / 1000).toFixed(1)} ms${cold ? ' (cold)' : ''}`);
    } finally {
      this.tasks.delete(task.task_id);
      if (this.tasks.size === 0) this.idle.splice(0).forEach((wake) => wake());
    }
  }

  async complete(ref, received, result) {
    result.handler_micros = micros(received);
    try {
      await this.call('Complete', { ...ref, result });
    } catch (error) {
      // FAILED_PRECONDITION: the lease ran out and the task went elsewhere. Nothing more to do either way.
      log(`task ${ref.task_id}: complete failed (${describe(error)})`);
    }
  }

  async release(ref, why) {
    try {
      await this.call('Release', ref);
      log(`task ${ref.task_id}: released (${why})`);
    } catch (error) {
      log(`task ${ref.task_id}: release failed (${describe(error)})`);
    }
  }

  /** The function's source on disk, fetched once per module_sha256. `cold` when this call fetched it. */
  async artifact(sinkId, sha256) {
    if (!/^[0-9a-fA-F]{16,128}$/.test(sha256 ?? '')) throw new Error(`bad module_sha256 "${sha256}"`);
    const cached = this.code.get(sha256);
    if (cached) return { file: cached, cold: false };

    let fetching = this.fetching.get(sha256);
    const first = !fetching;
    if (first) {
      fetching = (async () => {
        const body = await this.call('GetArtifact', { sink_id: sinkId, module_sha256: sha256 });
        const file = join(this.workRoot, `${sha256}.js`);
        const partial = `${file}.${process.pid}.partial`;
        await writeFile(partial, body.data ?? Buffer.alloc(0));
        await rename(partial, file);
        this.code.set(sha256, file);
        return file;
      })().finally(() => this.fetching.delete(sha256));
      this.fetching.set(sha256, fetching);
    }
    return { file: await fetching, cold: first };
  }

  waitIdle(timeoutMs) {
    if (this.tasks.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => { clearTimeout(timer); resolve(true); });
    });
  }

  // --- lifecycle ---------------------------------------------------------------------------------------

  async run() {
    log(`sink ${this.config.name}: ${this.config.slots} slots, ${this.config.memoryMb} MiB (${this.config.maxFunctionMemoryMb} MiB per function), manager ${this.config.manager}`);
    const { permissionFlag } = isolation();
    log(permissionFlag ? `functions run under the Node.js permission model (${permissionFlag})` : 'this Node.js has no permission model: functions can read the file system');
    await this.connect();
    this.heartbeatLoop().catch((error) => log(`heartbeat loop: ${describe(error)}`));
    await this.pullLoop();
  }

  /** SIGINT/SIGTERM: stop pulling, release what has not started, finish what runs (bounded), deregister. */
  async shutdown(signal) {
    if (this.stopping) return;
    this.stopping = true;
    log(`${signal}: stopping; ${this.tasks.size} task(s) in hand`);
    this.stopAccepting();
    const drained = await this.waitIdle(this.config.drainTimeoutMs);
    if (!drained) {
      log(`gave up waiting after ${this.config.drainTimeoutMs} ms; killing ${this.tasks.size} run(s)`);
      for (const task of this.tasks.values()) if (task.pid) try { process.kill(task.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    if (this.sinkId && !this.deleted) {
      try {
        await this.call('Deregister', { sink_id: this.sinkId }, { deadlineMs: 5_000 });
        log('deregistered');
      } catch (error) {
        log(`deregister failed: ${describe(error)}`);
      }
    }
    this.closed = true;
    this.cleanup();
  }

  cleanup() {
    try { this.client.close(); } catch { /* closing anyway */ }
    rmSync(this.workRoot, { recursive: true, force: true });
  }
}

function failure(outcome, error, worker, cold) {
  return { outcome, output: Buffer.alloc(0), exit_code: 0, error, stderr_tail: '', worker, run_micros: 0, cold };
}

// CPU time of the sink's finished (waited-for) children, in microseconds: cutime + cstime of /proc/self/stat
// (Linux; clock ticks of 1/100 s). 0 elsewhere.
function childrenCpuMicros() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10_000; // fields 16 and 17 of proc(5)
  } catch {
    return 0;
  }
}

// Resident memory of a running child, bytes (Linux; 0 elsewhere).
function processRss(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------

async function main() {
  let config;
  try {
    config = configFromEnvironment();
  } catch (error) {
    console.error(error.message);
    process.exit(2);
  }

  // Log, never die, on anything that escapes.
  process.on('unhandledRejection', (error) => log(`unhandled: ${describe(error)}`));
  process.on('uncaughtException', (error) => log(`uncaught: ${error?.stack ?? error}`));

  const sink = new Sink(config);
  let signals = 0;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (++signals > 1) process.exit(1); // a second signal: leave now
      sink.shutdown(signal).finally(() => process.exit(0));
    });
  }
  await sink.run();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main();
}
