using System.Diagnostics;
using Faas.Wasm.Engines;
using Faas.Wasm.Options;
using Faas.Wasm.Validation;
using Faas.Wasm.Wasi;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Faas.Wasm.Execution;

/// <summary>
/// Runs one invocation of a compiled module: a fresh <see cref="Store"/> per run (nothing leaks between
/// runs), its memory capped by StoreLimits, its time by an epoch deadline, its WASI calls answered from
/// the run's own state through one shared <see cref="Linker"/>. Thread-safe; runs synchronously on the
/// calling thread.
/// </summary>
public sealed class WasmExecutor : IDisposable
{
    private const long Mebibyte = 1024 * 1024;
    private const long WasmPageBytes = 64 * 1024;

    private readonly Engine engine;
    private readonly EpochTicker ticker;
    private readonly Linker linker;
    private readonly WorkerOptions options;

    /// <param name="ticker">The ticker advancing <paramref name="engine"/>'s epoch; without it no run would time out.</param>
    public WasmExecutor(Engine engine, EpochTicker ticker, IOptions<WorkerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(ticker);
        this.engine = engine;
        this.ticker = ticker;
        this.options = options.Value;
        linker = new Linker(engine);
        WasiPreview1.Define(linker);
    }

    /// <summary>How often a cancellable run checks its token, in epoch ticks: it stops within about this long of a cancel.</summary>
    private const ulong CancellationCheckTicks = 2;

    private static readonly Store.EpochDeadlineCallback CheckRun = OnEpochDeadline;

    /// <summary>Runs <paramref name="module"/>'s <c>_start</c> with the request's payload on stdin.</summary>
    /// <param name="cancellationToken">Stops the run (wasm code and host calls alike) within a few milliseconds.</param>
    /// <exception cref="OperationCanceledException">The run was stopped by <paramref name="cancellationToken"/>.</exception>
    public ExecutionResult Execute(Module module, ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        var timeoutMs = request.TimeoutMs > 0 ? request.TimeoutMs : options.DefaultTimeoutMs;
        var memoryMb = Math.Clamp(request.MemoryMb > 0 ? request.MemoryMb : options.DefaultMemoryMb, 1, WasmEngineFactory.MaxMemoryMb);
        var memoryLimit = memoryMb * Mebibyte;

        var started = Stopwatch.GetTimestamp();
        var state = new InvocationState(request, options.MaxOutputBytes, options.StderrTailBytes, options.LogBytesPerExecution, cancellationToken)
        {
            DeadlineTimestamp = started + (long)(timeoutMs * (Stopwatch.Frequency / 1000.0)),
        };

        ExecutionOutcome outcome;
        string? error = null;
        var exitCode = 0;
        using (ticker.Enter())
        using (var store = new Store(engine, state))
        {
            store.SetLimits(memorySize: memoryLimit);
            if (cancellationToken.CanBeCanceled)
            {
                // Wasm code stops only at an epoch deadline: a short one whose callback checks the token, then renews
                // it, up to the timeout.
                store.SetEpochDeadlineCallback(CheckRun);
                store.SetEpochDeadline(Math.Min(CancellationCheckTicks, EpochTicker.TicksFor(timeoutMs)));
            }
            else
            {
                store.SetEpochDeadline(EpochTicker.TicksFor(timeoutMs));
            }

            Instance? instance = null;
            try
            {
                instance = linker.Instantiate(store, module);
                var entry = instance.GetAction(FunctionContract.EntryPoint);
                if (entry is null)
                {
                    outcome = ExecutionOutcome.InstantiationFailed;
                    error = $"The module does not export `{FunctionContract.EntryPoint}` as a function taking and returning nothing.";
                }
                else
                {
                    entry();
                    outcome = ExecutionOutcome.Ok;
                }
            }
            catch (WasmtimeException) when (state.Cancelled || (cancellationToken.IsCancellationRequested && state.ExitCode is null))
            {
                throw new OperationCanceledException("The caller cancelled the run.", cancellationToken);
            }
            catch (WasmtimeException exception)
            {
                var memory = state.Memory ?? instance?.GetMemory(InvocationState.MemoryExport);
                (outcome, error, exitCode) = Classify(exception, state, instance is null, memory, memoryLimit, timeoutMs);
            }
        }

        return new ExecutionResult
        {
            Outcome = outcome,
            Output = state.Stdout.Detach(),
            ExitCode = exitCode,
            Error = error,
            StderrTail = state.Stderr.ToString(),
            Log = state.Log.Lines(),
            LogDroppedBytes = state.Log.DroppedBytes,
            RunMicros = Stopwatch.GetElapsedTime(started).Ticks / TimeSpan.TicksPerMicrosecond,
        };
    }

    /// <summary>A cancellable run's epoch deadline: stop it if cancelled or past its timeout, else renew the deadline.</summary>
    private static ulong OnEpochDeadline(Store store)
    {
        var state = (InvocationState)store.GetData()!;
        if (state.CancellationToken.IsCancellationRequested)
        {
            throw state.EndAtCancellation();
        }

        var left = state.DeadlineTimestamp - Stopwatch.GetTimestamp();
        if (left <= 0)
        {
            throw state.EndAtDeadline("its timeout passed");
        }

        var ticksLeft = (ulong)Math.Ceiling(left / (double)Stopwatch.Frequency / EpochTicker.Interval.TotalSeconds);
        return Math.Max(1, Math.Min(CancellationCheckTicks, ticksLeft));
    }

    private static (ExecutionOutcome Outcome, string? Error, int ExitCode) Classify(
        WasmtimeException exception, InvocationState state, bool instantiating, Memory? memory, long memoryLimit, int timeoutMs)
    {
        var atMemoryLimit = IsNearLimit(memory, memoryLimit);
        var limitDescription = $"memory limit of {memoryLimit / Mebibyte} MiB";
        if (state.ExitCode is { } code)
        {
            return code == 0
                ? (ExecutionOutcome.Ok, null, 0)
                : (atMemoryLimit ? ExecutionOutcome.OutOfMemory : ExecutionOutcome.ExitedNonZero,
                   atMemoryLimit ? $"exited with code {code} at its {limitDescription}" : $"exited with code {code}",
                   code);
        }

        if (state.OutputLimitExceeded)
        {
            return (ExecutionOutcome.Trapped, $"stdout exceeded the output limit of {state.Stdout.Limit} bytes", 0);
        }

        if (state.TimedOut || exception is TrapException { Type: TrapCode.Interrupt })
        {
            return (ExecutionOutcome.Timeout, $"timed out after {timeoutMs} ms", 0);
        }

        var reason = Describe(exception);
        if (instantiating && exception is not TrapException)
        {
            // Wasmtime refuses an initial memory above the store's limit while instantiating.
            return IsMemoryLimitError(reason)
                ? (ExecutionOutcome.OutOfMemory, $"needs more than its {limitDescription}: {reason}", 0)
                : (ExecutionOutcome.InstantiationFailed, reason, 0);
        }

        return atMemoryLimit
            ? (ExecutionOutcome.OutOfMemory, $"failed at its {limitDescription}: {reason}", 0)
            : (ExecutionOutcome.Trapped, reason, 0);
    }

    /// <summary>
    /// Wasmtime's C API does not say when a <c>memory.grow</c> was refused (it just returns -1 to the guest),
    /// so a failed run counts as out of memory when its memory ended above half the limit: allocators grow
    /// in steps (often doubling), so a refused step leaves them anywhere in the upper half, and they trap or
    /// exit right there.
    /// </summary>
    private static bool IsNearLimit(Memory? memory, long limit)
    {
        if (memory is null)
        {
            return false;
        }

        return memory.GetLength() + WasmPageBytes > Math.Max(limit / 2, WasmPageBytes);
    }

    private static bool IsMemoryLimitError(string reason) =>
        reason.Contains("memory", StringComparison.OrdinalIgnoreCase)
        && (reason.Contains("limit", StringComparison.OrdinalIgnoreCase) || reason.Contains("exceeds", StringComparison.OrdinalIgnoreCase));

    /// <summary>Wasmtime's root cause first (e.g. "wasm trap: ... unreachable"), then its wasm backtrace.</summary>
    private static string Describe(WasmtimeException exception)
    {
        const string CausedBy = "Caused by:";
        var message = exception.Message.Trim();
        var split = message.IndexOf(CausedBy, StringComparison.Ordinal);
        if (split < 0)
        {
            return message;
        }

        var cause = string.Join("; ", message[(split + CausedBy.Length)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(WithoutCauseNumber));
        var backtrace = message[..split].TrimEnd();
        return backtrace.Length == 0 ? cause : $"{cause}\n{backtrace}";
    }

    /// <summary>Wasmtime numbers a chain of causes ("0: ...", "1: ...").</summary>
    private static string WithoutCauseNumber(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && !line.AsSpan(0, colon).ContainsAnyExceptInRange('0', '9') ? line[(colon + 1)..].TrimStart() : line;
    }

    public void Dispose() => linker.Dispose();
}
