using System.Diagnostics;
using System.Text;
using Faas.Wasm.Execution;
using Faas.Wasm.Options;

namespace Faas.Wasm.Tests.Execution;

[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WasmExecutorTests(WasmFixture runtime)
{
    private static ExecutionRequest Request(string payload = "", int timeoutMs = 5_000, int memoryMb = 64) => new()
    {
        ModuleSha256 = new string('0', 64),
        FunctionName = "test-function",
        Version = 7,
        Payload = Encoding.UTF8.GetBytes(payload),
        TimeoutMs = timeoutMs,
        MemoryMb = memoryMb,
    };

    private ExecutionResult Run(string module, ExecutionRequest? request = null) =>
        runtime.Executor.Execute(runtime.Module(module), request ?? Request());

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    [InlineData(1024 * 1024)]
    public void Echo_writes_its_payload_back_to_stdout(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);

        var result = Run("echo", Request() with { Payload = payload });

        Assert.Equal(ExecutionOutcome.Ok, result.Outcome);
        Assert.Null(result.Error);
        Assert.Equal(payload, result.Output.ToArray());
        Assert.True(result.RunMicros > 0);
    }

    [Fact]
    public void Non_zero_exit_reports_the_code_and_the_stderr_tail()
    {
        var result = Run("fail_with_stderr");

        Assert.Equal(ExecutionOutcome.ExitedNonZero, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("exited with code 3", result.Error);
        Assert.Equal("something went wrong\n", result.StderrTail);
    }

    [Fact]
    public void Stderr_tail_keeps_only_the_last_bytes()
    {
        var executor = runtime.CreateExecutor(new WorkerOptions { StderrTailBytes = 8 });

        var result = executor.Execute(runtime.Module("fail_with_stderr"), Request());

        Assert.Equal("t wrong\n", result.StderrTail);
    }

    [Fact]
    public void Stderr_comes_back_as_log_lines_with_their_head_kept_and_the_rest_counted()
    {
        var before = DateTimeOffset.UtcNow;
        var whole = Run("fail_with_stderr");
        var cut = runtime.CreateExecutor(new WorkerOptions { LogBytesPerExecution = 9 }).Execute(runtime.Module("fail_with_stderr"), Request());

        var line = Assert.Single(whole.Log);
        Assert.Equal("something went wrong", line.Text);
        Assert.InRange(line.Time, before, DateTimeOffset.UtcNow);
        Assert.Equal(0, whole.LogDroppedBytes);
        Assert.Equal("something", Assert.Single(cut.Log).Text);
        Assert.Equal("something went wrong\n".Length - 9, cut.LogDroppedBytes);
    }

    [Fact]
    public void Proc_exit_with_zero_is_success_and_keeps_the_output()
    {
        var result = Run("exit_zero");

        Assert.Equal(ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("bye", Encoding.UTF8.GetString(result.Output.Span));
    }

    [Fact]
    public void Unreachable_traps_with_wasmtime_reason()
    {
        var result = Run("trap");

        Assert.Equal(ExecutionOutcome.Trapped, result.Outcome);
        Assert.Contains("unreachable", result.Error);
    }

    [Fact]
    public void Infinite_loop_times_out_and_the_next_run_is_unaffected()
    {
        var watch = Stopwatch.StartNew();
        var result = Run("infinite_loop", Request(timeoutMs: 100));
        watch.Stop();

        Assert.Equal(ExecutionOutcome.Timeout, result.Outcome);
        Assert.Equal("timed out after 100 ms", result.Error);
        // Interrupted rather than left to spin (the epoch deadline counts whole 5 ms ticks, so it may land a tick early).
        Assert.InRange(watch.ElapsedMilliseconds, 90, 2_000);
        Assert.Equal(ExecutionOutcome.Ok, Run("echo", Request("still here")).Outcome);
    }

    [Fact]
    public async Task Cancelling_a_running_loop_stops_it_long_before_its_timeout()
    {
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => runtime.Executor.Execute(runtime.Module("infinite_loop"), Request(timeoutMs: 60_000), cancel.Token));
        await Task.Delay(100);

        await cancel.CancelAsync();

        // Stopped at its next cancellation check (10 ms); the bound only guards against waiting for the 60 s timeout.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(ExecutionOutcome.Ok, Run("echo", Request("still here")).Outcome);
    }

    [Fact]
    public async Task Cancelling_a_sleeping_run_ends_it_as_cancelled_not_as_awake()
    {
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => runtime.Executor.Execute(runtime.Module("sleep_minute"), Request(timeoutMs: 120_000), cancel.Token));
        await Task.Delay(10);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public void A_cancellable_run_that_is_never_cancelled_still_times_out_and_still_finishes()
    {
        using var cancel = new CancellationTokenSource();

        var looping = runtime.Executor.Execute(runtime.Module("infinite_loop"), Request(timeoutMs: 100), cancel.Token);
        var echo = runtime.Executor.Execute(runtime.Module("echo"), Request("done"), cancel.Token);

        Assert.Equal((ExecutionOutcome.Timeout, "timed out after 100 ms"), (looping.Outcome, looping.Error));
        Assert.Equal("done", Encoding.UTF8.GetString(echo.Output.Span));
    }

    [Fact]
    public void Memory_bomb_is_out_of_memory_and_the_next_run_is_unaffected()
    {
        var result = Run("memory_bomb", Request(memoryMb: 32));

        Assert.Equal(ExecutionOutcome.OutOfMemory, result.Outcome);
        Assert.Contains("memory limit of 32 MiB", result.Error);
        var next = Run("echo", Request("still here"));
        Assert.Equal("still here", Encoding.UTF8.GetString(next.Output.Span));
    }

    [Fact]
    public void Initial_memory_above_the_limit_is_out_of_memory()
    {
        var result = Run("big_initial_memory", Request(memoryMb: 128));

        Assert.Equal(ExecutionOutcome.OutOfMemory, result.Outcome);
        Assert.Contains("memory limit of 128 MiB", result.Error);
    }

    [Fact]
    public void Environment_has_the_platform_variables_and_the_functions_own()
    {
        var request = Request() with
        {
            ExecutionId = "exec-1",
            TraceId = "0af7651916cd43dd8448eb211c80319c",
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello", ["FAAS_FUNCTION"] = "spoofed" },
        };

        var result = Run("print_environ", request);

        var environment = Encoding.UTF8.GetString(result.Output.Span).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["FAAS_EXECUTION_ID=exec-1", "FAAS_TRACE_ID=0af7651916cd43dd8448eb211c80319c", "FAAS_FUNCTION=test-function", "FAAS_VERSION=7", "GREETING=hello"],
            environment);
    }

    [Fact]
    public void Argv_is_the_function_name()
    {
        var result = Run("print_argv");

        Assert.Equal("test-function\0", Encoding.UTF8.GetString(result.Output.Span));
    }

    [Fact]
    public void Runs_share_no_state()
    {
        var outputs = Enumerable.Range(0, 3).Select(_ => Encoding.UTF8.GetString(Run("counter").Output.Span));

        Assert.All(outputs, output => Assert.Equal("11", output));
    }

    [Fact]
    public void Output_over_the_limit_fails_the_run()
    {
        var executor = runtime.CreateExecutor(new WorkerOptions { MaxOutputBytes = 1024 * 1024 });

        var result = executor.Execute(runtime.Module("flood"), Request());

        Assert.Equal(ExecutionOutcome.Trapped, result.Outcome);
        Assert.Equal("stdout exceeded the output limit of 1048576 bytes", result.Error);
        Assert.Equal(1024 * 1024, result.Output.Length);
    }

    [Fact]
    public void Sleep_waits_then_continues()
    {
        var result = Run("sleep");

        Assert.Equal(ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal("awake", Encoding.UTF8.GetString(result.Output.Span));
        Assert.True(result.RunMicros >= 50_000, $"ran {result.RunMicros} µs");
    }

    [Fact]
    public void Sleep_past_the_timeout_times_out()
    {
        var result = Run("sleep", Request(timeoutMs: 20));

        // Stopped in its 50 ms sleep: it never woke to write "awake" (how long that took is the machine's business).
        Assert.Equal(ExecutionOutcome.Timeout, result.Outcome);
        Assert.DoesNotContain("awake", Encoding.UTF8.GetString(result.Output.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void No_directory_is_preopened()
    {
        var result = Run("probe_filesystem");

        Assert.Equal("08", Encoding.UTF8.GetString(result.Output.Span)); // EBADF
    }

    [Fact]
    public void Import_from_another_module_fails_instantiation()
    {
        var result = Run("foreign_import");

        Assert.Equal(ExecutionOutcome.InstantiationFailed, result.Outcome);
        Assert.Contains("env::now", result.Error);
    }

    [Fact]
    public void Module_without_start_fails_instantiation()
    {
        var result = Run("no_start");

        Assert.Equal(ExecutionOutcome.InstantiationFailed, result.Outcome);
        Assert.Contains("_start", result.Error);
    }

    [Fact]
    public void Concurrent_runs_keep_their_own_stdin_and_stdout()
    {
        var results = Enumerable.Range(0, 64).AsParallel().Select(i => (i, Run("echo", Request($"payload {i}")))).ToList();

        Assert.All(results, r => Assert.Equal($"payload {r.i}", Encoding.UTF8.GetString(r.Item2.Output.Span)));
    }
}
