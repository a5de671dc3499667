// Runs one JavaScript function invocation in a child Node.js process.
//
// The contract is the one WebAssembly functions have: the payload arrives on stdin, the response is what the
// function writes to stdout, stderr is its log, and exit code 0 means success. This module knows nothing about
// gRPC, so it can be tested on its own (see test/runner.test.js).

import { spawn, spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Stdout above this fails the run (the same limit the WebAssembly workers have). */
export const MAX_OUTPUT_BYTES = 6 * 1024 * 1024;
/** How much of the end of stderr is kept and reported. */
export const STDERR_TAIL_BYTES = 4 * 1024;

// Outcome names of faas.v1.ExecutionOutcome (proto-loader accepts enum values by name).
export const Outcome = Object.freeze({
  OK: 'OK',
  EXITED_NON_ZERO: 'EXITED_NON_ZERO',
  TRAPPED: 'TRAPPED',
  TIMEOUT: 'TIMEOUT',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  INSTANTIATION_FAILED: 'INSTANTIATION_FAILED',
});

// V8 prints one of these when the heap limit is reached: "FATAL ERROR: Reached heap limit Allocation failed -
// JavaScript heap out of memory" while running, "Fatal javascript OOM in ..." when even startup does not fit.
const HEAP_OUT_OF_MEMORY = /heap out of memory|JavaScript heap|javascript OOM/i;

let cachedIsolation;

/**
 * The isolation flags this Node.js supports, probed once: the permission model (`--permission` from Node 22,
 * `--experimental-permission` in Node 20), with its experimental warning silenced, and module syntax
 * detection so a function may use `import` without a package.json.
 */
export function isolation(nodePath = process.execPath) {
  if (cachedIsolation) return cachedIsolation;
  const accepts = (...flags) =>
    spawnSync(nodePath, [...flags, '-e', ''], { env: {}, stdio: 'ignore', timeout: 10_000 }).status === 0;

  const permissionFlag = ['--permission', '--experimental-permission'].find((flag) => accepts(flag)) ?? null;
  const extraFlags = [];
  if (accepts('--disable-warning=ExperimentalWarning')) extraFlags.push('--disable-warning=ExperimentalWarning');
  if (accepts('--experimental-detect-module')) extraFlags.push('--experimental-detect-module');
  cachedIsolation = { permissionFlag, extraFlags };
  return cachedIsolation;
}

/**
 * The child's environment: the run's FAAS_* variables plus the function's own `env` (its secrets included),
 * and nothing from the sink's environment. NODE_* variables are dropped: NODE_OPTIONS could lift the
 * file-system restriction or the heap limit.
 */
export function childEnvironment({ executionId, traceId, functionName, version, env }) {
  const result = {};
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!name.startsWith('NODE_')) result[name] = String(value);
  }
  result.FAAS_EXECUTION_ID = executionId ?? '';
  result.FAAS_TRACE_ID = traceId ?? '';
  result.FAAS_FUNCTION = functionName ?? '';
  result.FAAS_VERSION = String(version ?? '');
  return result;
}

/**
 * Runs the function in `file` once.
 *
 * @param {object} options
 * @param {string} options.file        absolute path of the function's source
 * @param {Buffer} [options.payload]   written to the child's stdin
 * @param {object} [options.env]       the child's complete environment (see childEnvironment)
 * @param {number} [options.memoryMb]  V8 heap limit (--max-old-space-size); 0: Node's default
 * @param {number} [options.timeoutMs] wall-clock limit; 0: none
 * @param {string} options.workRoot    folder under which a fresh, empty working directory is made
 * @param {(pid: number) => void} [options.onSpawn]  called with the child's pid (for memory accounting)
 * @returns {Promise<{outcome: string, output: Buffer, exitCode: number, error: string, stderrTail: string,
 *   runMicros: number}>}
 */
export async function runFunction({ file, payload = Buffer.alloc(0), env = {}, memoryMb = 0, timeoutMs = 0, workRoot, onSpawn }) {
  const cwd = await mkdtemp(join(workRoot, 'run-'));
  try {
    return await runIn(cwd, { file, payload, env, memoryMb, timeoutMs, onSpawn });
  } finally {
    await rm(cwd, { recursive: true, force: true }).catch(() => {});
  }
}

function runIn(cwd, { file, payload, env, memoryMb, timeoutMs, onSpawn }) {
  const { permissionFlag, extraFlags } = isolation();
  const args = [];
  if (permissionFlag) {
    // Under the permission model the function may read its own file and nothing else, may not write files,
    // start processes or worker threads, or load native addons.
    args.push(permissionFlag, `--allow-fs-read=${file}`);
  }
  args.push(...extraFlags);
  if (memoryMb > 0) args.push(`--max-old-space-size=${memoryMb}`);
  args.push(file);

  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    let child;
    try {
      child = spawn(process.execPath, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      resolve(result(Outcome.INSTANTIATION_FAILED, Buffer.alloc(0), 0, `could not start node: ${error.message}`, '', 0));
      return;
    }

    const stdout = [];
    let stdoutBytes = 0;
    let outputOverflowed = false;
    let stderrTail = Buffer.alloc(0);
    let sawHeapOutOfMemory = false;
    let timedOut = false;
    let spawnError = null;
    let settled = false;

    const timer = timeoutMs > 0
      ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs)
      : null;

    if (child.pid !== undefined) onSpawn?.(child.pid);

    child.stdout.on('data', (chunk) => {
      if (outputOverflowed) return;
      if (stdoutBytes + chunk.length > MAX_OUTPUT_BYTES) {
        outputOverflowed = true;
        stdout.push(chunk.subarray(0, MAX_OUTPUT_BYTES - stdoutBytes));
        stdoutBytes = MAX_OUTPUT_BYTES;
        child.kill('SIGKILL');
        return;
      }
      stdout.push(chunk);
      stdoutBytes += chunk.length;
    });

    child.stderr.on('data', (chunk) => {
      // Search the end of what we had plus the new chunk, so a message split across chunks is still seen.
      const window = Buffer.concat([stderrTail.subarray(-64), chunk]);
      if (!sawHeapOutOfMemory && HEAP_OUT_OF_MEMORY.test(window.toString('latin1'))) sawHeapOutOfMemory = true;
      stderrTail = Buffer.concat([stderrTail, chunk]);
      if (stderrTail.length > STDERR_TAIL_BYTES) stderrTail = stderrTail.subarray(stderrTail.length - STDERR_TAIL_BYTES);
    });

    // A function that exits without reading all of stdin makes our write fail with EPIPE: not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(payload);

    child.on('error', (error) => {
      spawnError = error;
      // 'exit' may never come when the process could not be started.
      if (child.pid === undefined) finish(null, null);
    });

    child.on('exit', (code, signal) => {
      // Normally 'close' follows once stdout and stderr are drained. Should something keep them open
      // (a process the function left behind), stop waiting after a moment.
      setTimeout(() => finish(code, signal), 1000).unref();
    });
    child.on('close', (code, signal) => finish(code, signal));

    function finish(code, signal) {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      const runMicros = Number((process.hrtime.bigint() - started) / 1000n);
      const output = Buffer.concat(stdout);
      const tail = stderrTail.toString('utf8');

      if (spawnError && code === null && signal === null) {
        resolve(result(Outcome.INSTANTIATION_FAILED, output, 0, `could not start node: ${spawnError.message}`, tail, runMicros));
      } else if (outputOverflowed) {
        resolve(result(Outcome.TRAPPED, output, 0, 'output over 6 MiB', tail, runMicros));
      } else if (timedOut) {
        resolve(result(Outcome.TIMEOUT, output, 0, `timed out after ${timeoutMs} ms`, tail, runMicros));
      } else if (sawHeapOutOfMemory && (code !== 0 || signal)) {
        resolve(result(Outcome.OUT_OF_MEMORY, output, exitCodeOf(code, signal),
          `ran out of its heap limit of ${memoryMb} MiB`, tail, runMicros));
      } else if (signal) {
        resolve(result(Outcome.EXITED_NON_ZERO, output, exitCodeOf(code, signal), `killed by ${signal}`, tail, runMicros));
      } else if (code !== 0) {
        resolve(result(Outcome.EXITED_NON_ZERO, output, code, `exited with code ${code}`, tail, runMicros));
      } else {
        resolve(result(Outcome.OK, output, 0, '', tail, runMicros));
      }
    }
  });
}

// A process killed by a signal reports the shell's convention, 128 + the signal number.
function exitCodeOf(code, signal) {
  if (code !== null && code !== undefined) return code;
  const number = osConstants.signals[signal];
  return number ? 128 + number : 1;
}

function result(outcome, output, exitCode, error, stderrTail, runMicros) {
  return { outcome, output, exitCode, error, stderrTail, runMicros };
}
