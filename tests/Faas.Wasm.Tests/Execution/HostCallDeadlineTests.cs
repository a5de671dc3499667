using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Faas.Wasm.Diagnostics;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using Faas.Wasm.Wasi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Wasmtime;

namespace Faas.Wasm.Tests.Execution;

/// <summary>
/// Every WASI import called with hostile arguments (gigabyte buffers, millions of iovecs or subscriptions, endless
/// sleeps, pointers at the end of memory): the run still ends within the stated margin of its timeout, and the
/// worker's one slot is free for the next call. The functions have gigabytes of memory so that huge arguments pass the
/// bounds checks and reach the host's work.
/// </summary>
[Collection(WasmCollection.Name)]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class HostCallDeadlineTests : IAsyncDisposable
{
    /// <summary>The stated margin (docs/architecture.md, "Host calls are bounded"): a run ends within this of its timeout.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    private const int TimeoutMs = 100;

    /// <summary>The preview1 signatures (parameter types; every function but proc_exit returns an errno).</summary>
    private static readonly Dictionary<string, string[]> Signatures = new()
    {
        ["args_get"] = ["i32", "i32"],
        ["args_sizes_get"] = ["i32", "i32"],
        ["environ_get"] = ["i32", "i32"],
        ["environ_sizes_get"] = ["i32", "i32"],
        ["clock_res_get"] = ["i32", "i32"],
        ["clock_time_get"] = ["i32", "i64", "i32"],
        ["fd_advise"] = ["i32", "i64", "i64", "i32"],
        ["fd_allocate"] = ["i32", "i64", "i64"],
        ["fd_close"] = ["i32"],
        ["fd_datasync"] = ["i32"],
        ["fd_fdstat_get"] = ["i32", "i32"],
        ["fd_fdstat_set_flags"] = ["i32", "i32"],
        ["fd_fdstat_set_rights"] = ["i32", "i64", "i64"],
        ["fd_filestat_get"] = ["i32", "i32"],
        ["fd_filestat_set_size"] = ["i32", "i64"],
        ["fd_filestat_set_times"] = ["i32", "i64", "i64", "i32"],
        ["fd_pread"] = ["i32", "i32", "i32", "i64", "i32"],
        ["fd_prestat_get"] = ["i32", "i32"],
        ["fd_prestat_dir_name"] = ["i32", "i32", "i32"],
        ["fd_pwrite"] = ["i32", "i32", "i32", "i64", "i32"],
        ["fd_read"] = ["i32", "i32", "i32", "i32"],
        ["fd_readdir"] = ["i32", "i32", "i32", "i64", "i32"],
        ["fd_renumber"] = ["i32", "i32"],
        ["fd_seek"] = ["i32", "i64", "i32", "i32"],
        ["fd_sync"] = ["i32"],
        ["fd_tell"] = ["i32", "i32"],
        ["fd_write"] = ["i32", "i32", "i32", "i32"],
        ["path_create_directory"] = ["i32", "i32", "i32"],
        ["path_filestat_get"] = ["i32", "i32", "i32", "i32", "i32"],
        ["path_filestat_set_times"] = ["i32", "i32", "i32", "i32", "i64", "i64", "i32"],
        ["path_link"] = ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
        ["path_open"] = ["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"],
        ["path_readlink"] = ["i32", "i32", "i32", "i32", "i32", "i32"],
        ["path_remove_directory"] = ["i32", "i32", "i32"],
        ["path_rename"] = ["i32", "i32", "i32", "i32", "i32", "i32"],
        ["path_symlink"] = ["i32", "i32", "i32", "i32", "i32"],
        ["path_unlink_file"] = ["i32", "i32", "i32"],
        ["poll_oneoff"] = ["i32", "i32", "i32", "i32"],
        ["proc_exit"] = ["i32"],
        ["proc_raise"] = ["i32"],
        ["random_get"] = ["i32", "i32"],
        ["sched_yield"] = [],
        ["sock_accept"] = ["i32", "i32", "i32"],
        ["sock_recv"] = ["i32", "i32", "i32", "i32", "i32", "i32"],
        ["sock_send"] = ["i32", "i32", "i32", "i32", "i32"],
        ["sock_shutdown"] = ["i32", "i32"],
    };

    private readonly WasmFixture runtime;
    private readonly InMemoryModuleSource modules = new();
    private readonly string cacheDirectory = Directory.CreateTempSubdirectory("faas-host-calls-").FullName;
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ModuleCache cache;
    private readonly ExecutionSlots slots;
    private readonly FunctionHost host;

    public HostCallDeadlineTests(WasmFixture runtime)
    {
        this.runtime = runtime;
        // One slot: a run that overstayed its timeout would hold the worker's only slot.
        var options = Microsoft.Extensions.Options.Options.Create(new WorkerOptions { Slots = 1, CacheDirectory = cacheDirectory });
        var metrics = new WasmMetrics(services.GetRequiredService<IMeterFactory>());
        cache = new ModuleCache(runtime.Engine, modules, options, metrics, NullLogger<ModuleCache>.Instance);
        slots = new ExecutionSlots(options);
        host = new FunctionHost(cache, runtime.Executor, slots, metrics, NullLogger<FunctionHost>.Instance);
    }

    public static TheoryData<string, string> HostileCalls => new()
    {
        { "fd_write of 2 GiB of iovecs to stdout", "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x10000000) (i32.const 0)))" },
        { "fd_write of 2 GiB of iovecs to stderr", "(drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 0x10000000) (i32.const 0)))" },
        { "fd_write of a 2 GiB buffer to stderr", "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 0x7fffffff)) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))" },
        { "fd_write of 1024 iovecs of 2 GiB each to stderr", "(call $fill_iovecs (i32.const 1024) (i32.const 0x7fff0000)) (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1024) (i32.const 0x10000)))" },
        { "fd_read of 2 GiB of empty iovecs", "(drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 0x10000000) (i32.const 0)))" },
        { "fd_read into a 2 GiB buffer", "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 0x7fffffff)) (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))" },
        { "random_get of a 2 GiB buffer", "(drop (call $random_get (i32.const 16) (i32.const 0x7fffffff)))" },
        { "poll_oneoff with 40 million subscriptions", "(drop (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const 40000000) (i32.const 0)))" },
        { "poll_oneoff sleeping for the longest relative time", "(call $clock_subscription (i32.const 1) (i64.const -1) (i32.const 0)) (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))" },
        { "poll_oneoff sleeping until the end of time", "(call $clock_subscription (i32.const 0) (i64.const 0x7fffffffffffffff) (i32.const 1)) (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))" },
        { "args_get writing at the end of memory", "(drop (call $args_get (i32.const 0xfffffffc) (i32.const 0xfffffffc)))" },
        { "environ_get writing at the end of memory", "(drop (call $environ_get (i32.const 0xfffffffc) (i32.const 0xfffffffc)))" },
    };

    [Theory]
    [MemberData(nameof(HostileCalls))]
    public async Task A_hostile_call_in_a_loop_times_out_within_the_margin_and_frees_the_slot(string call, string body)
    {
        var (result, elapsed) = await RunAsync(Function(body));

        Assert.True(ExecutionOutcome.Timeout == result.Outcome, $"{call}: {result.Outcome} {result.Error}");
        Assert.Equal($"timed out after {TimeoutMs} ms", result.Error);
        AssertWithinMargin(call, elapsed);
        await AssertTheSlotIsFreeAsync();
    }

    public static TheoryData<string, string> EveryImportWithHostileArguments()
    {
        // Descriptor-like first arguments (stdin, stdout, none) with every other argument huge (a count of
        // 256 Mi, a size of 256 MiB, a pointer inside the 2 GiB memory), and every argument all ones. (2 GiB, not the
        // limit of 4: a function at its memory limit that exits non-zero counts as out of memory.)
        var data = new TheoryData<string, string>();
        foreach (var (name, parameters) in Signatures)
        {
            var patterns = new[] { (0L, 0x1000_0000L), (1L, 0x1000_0000L), (-1L, -1L) }
                .Select(p => string.Join(' ', parameters.Select((type, i) => $"({type}.const {(i == 0 ? p.Item1 : p.Item2).ToString(CultureInfo.InvariantCulture)})")))
                .Distinct(); // an import without parameters has one way to be called
            foreach (var arguments in patterns)
            {
                data.Add(name, arguments);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryImportWithHostileArguments))]
    public async Task Every_wasi_import_called_with_hostile_arguments_ends_within_the_margin_and_frees_the_slot(string import, string arguments)
    {
        var parameters = string.Join(' ', Signatures[import]);
        var exits = import == "proc_exit";
        var call = exits ? $"(call ${import} {arguments})" : $"(drop (call ${import} {arguments}))";
        var wat = $$"""
            (module
              (import "wasi_snapshot_preview1" "{{import}}" (func ${{import}} (param {{parameters}}){{(exits ? "" : " (result i32)")}}))
              (memory (export "memory") 32767)
              (func (export "_start") (loop $again {{call}} (br $again))))
            """;

        var (result, elapsed) = await RunAsync(wat);

        var expected = !exits ? ExecutionOutcome.Timeout : arguments == "(i32.const 0)" ? ExecutionOutcome.Ok : ExecutionOutcome.ExitedNonZero;
        Assert.True(expected == result.Outcome, $"{import}({arguments}): {result.Outcome} {result.Error}");
        AssertWithinMargin($"{import}({arguments})", elapsed);
        await AssertTheSlotIsFreeAsync();
    }

    [Fact]
    public void The_sweep_covers_every_import_the_host_defines()
    {
        Assert.Equal(WasiPreview1.FunctionNames.Order(), Signatures.Keys.Order());
    }

    [Fact]
    public async Task Fd_write_of_a_2_GiB_buffer_to_stdout_fails_at_the_output_limit_at_once()
    {
        var (result, elapsed) = await RunAsync(Function(
            "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 0x7fffffff)) (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))"));

        Assert.Equal(ExecutionOutcome.Trapped, result.Outcome);
        Assert.Equal("stdout exceeded the output limit of 6291456 bytes", result.Error);
        AssertWithinMargin("fd_write to stdout", elapsed);
        await AssertTheSlotIsFreeAsync();
    }

    [Fact]
    public async Task Fd_write_of_too_many_iovecs_is_einval_as_for_writev()
    {
        var (result, _) = await RunAsync(Function(
            "(call $report (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1025) (i32.const 0))) (return)"));

        Assert.Equal(ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal("28", Encoding.ASCII.GetString(result.Output.Span)); // EINVAL
    }

    [Fact]
    public async Task Stderr_keeps_the_tail_of_a_write_larger_than_it()
    {
        // Two iovecs, "abc" then "defgh": a 4-byte tail keeps "efgh", whatever came before.
        using var executor = runtime.CreateExecutor(new WorkerOptions { StderrTailBytes = 4 });
        var request = Request(Function(
            """
            (i32.store8 (i32.const 100) (i32.const 0x61)) (i32.store8 (i32.const 101) (i32.const 0x62)) (i32.store8 (i32.const 102) (i32.const 0x63))
            (i64.store (i32.const 200) (i64.const 0x0000006867666564))
            (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 3))
            (i32.store (i32.const 8) (i32.const 200)) (i32.store (i32.const 12) (i32.const 5))
            (call $report (call $fd_write (i32.const 2) (i32.const 0) (i32.const 2) (i32.const 16)))
            (call $report (i32.load (i32.const 16)))
            (return)
            """));

        var result = executor.Execute((await cache.GetAsync(request.ModuleSha256, CancellationToken.None)).Module, request);

        Assert.Equal(ExecutionOutcome.Ok, result.Outcome);
        Assert.Equal("0008", Encoding.ASCII.GetString(result.Output.Span)); // success, 8 bytes written
        Assert.Equal("efgh", result.StderrTail);
    }

    [Fact]
    public async Task Proc_exit_with_a_negative_code_ends_the_run_with_that_code()
    {
        var (result, elapsed) = await RunAsync(Function("(call $proc_exit (i32.const -1))", pages: 3));

        Assert.Equal(ExecutionOutcome.ExitedNonZero, result.Outcome);
        Assert.Equal(-1, result.ExitCode);
        AssertWithinMargin("proc_exit", elapsed);
        await AssertTheSlotIsFreeAsync();
    }

    /// <summary>A function of <paramref name="pages"/> (4 GiB by default) whose <c>_start</c> runs <paramref name="body"/> over and over.</summary>
    private static string Function(string body, int pages = 65536) => $$"""
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") {{pages}})
          ;; A clock subscription at 0: clock id, timeout, flags (1 = absolute).
          (func $clock_subscription (param $clock i32) (param $timeout i64) (param $flags i32)
            (i32.store8 (i32.const 8) (i32.const 0))
            (i32.store (i32.const 16) (local.get $clock))
            (i64.store (i32.const 24) (local.get $timeout))
            (i32.store16 (i32.const 40) (local.get $flags)))
          ;; $count iovecs at 0, each of $length bytes from address 16.
          (func $fill_iovecs (param $count i32) (param $length i32) (local $i i32)
            (loop $next
              (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 16))
              (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (local.get $length))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $next (i32.lt_u (local.get $i) (local.get $count)))))
          ;; Writes a number (0-99) as two decimal digits to stdout, from address 0x20000.
          (func $report (param $value i32)
            (i32.store8 (i32.const 0x20000) (i32.add (i32.const 48) (i32.div_u (local.get $value) (i32.const 10))))
            (i32.store8 (i32.const 0x20001) (i32.add (i32.const 48) (i32.rem_u (local.get $value) (i32.const 10))))
            (i32.store (i32.const 0x20010) (i32.const 0x20000))
            (i32.store (i32.const 0x20014) (i32.const 2))
            (drop (call $fd_write (i32.const 1) (i32.const 0x20010) (i32.const 1) (i32.const 0x20018))))
          (func (export "_start") (loop $again {{body}} (br $again))))
        """;

    private async Task<(ExecutionResult Result, TimeSpan Elapsed)> RunAsync(string wat)
    {
        var request = Request(wat);
        await cache.GetAsync(request.ModuleSha256, CancellationToken.None); // loaded before the clock starts
        var watch = Stopwatch.StartNew();
        var result = await host.ExecuteAsync(request, CancellationToken.None);
        return (result, watch.Elapsed);
    }

    private ExecutionRequest Request(string wat) => new()
    {
        ModuleSha256 = modules.Add(Module.ConvertText(wat)),
        FunctionName = "hostile",
        Payload = "a small payload"u8.ToArray(),
        TimeoutMs = TimeoutMs,
        MemoryMb = 4096,
        Environment = new Dictionary<string, string> { ["GREETING"] = "hello" },
    };

    private static void AssertWithinMargin(string call, TimeSpan elapsed) =>
        Assert.True(
            elapsed <= TimeSpan.FromMilliseconds(TimeoutMs) + Margin,
            $"{call}: the run ended {elapsed.TotalMilliseconds:F0} ms after it started, past its timeout of {TimeoutMs} ms plus the margin of {Margin.TotalSeconds} s");

    /// <summary>The one slot is free: nothing holds it, and the next call gets it and runs.</summary>
    private async Task AssertTheSlotIsFreeAsync()
    {
        Assert.Equal(0, slots.InFlight);
        var echo = await host.ExecuteAsync(
            new ExecutionRequest { ModuleSha256 = modules.Add(TestModules.Wasm("echo")), FunctionName = "echo", Payload = "next"u8.ToArray(), TimeoutMs = 5_000 },
            CancellationToken.None);
        Assert.Equal("next", Encoding.UTF8.GetString(echo.Output.Span));
    }

    public ValueTask DisposeAsync()
    {
        slots.Dispose();
        cache.Dispose();
        services.Dispose();
        Directory.Delete(cacheDirectory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
