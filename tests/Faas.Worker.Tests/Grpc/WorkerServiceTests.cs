using Faas.Protos.V1;
using Faas.Wasm.Modules;
using Faas.Worker.Grpc;
using Faas.Storage.Secrets;
using Faas.Wasm.Tests;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Faas.Worker.Tests.Grpc;

/// <summary>The worker's gRPC surface, in process: a TestServer running the worker's services with in-memory modules.</summary>
[Collection(WasmCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WorkerServiceTests : IAsyncLifetime
{
    private readonly WasmFixture runtime;
    private readonly InMemoryModuleSource modules = new();
    private readonly string cacheDirectory = Directory.CreateTempSubdirectory("faas-worker-cache-").FullName;
    private WebApplication? app;
    private GrpcChannel? channel;

    public WorkerServiceTests(WasmFixture runtime) => this.runtime = runtime;

    /// <summary>A client that gives each unary call an execution id, as the scheduler does, unless the test sets one.</summary>
    private Protos.V1.PushedSink.PushedSinkClient Client => new(channel!);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration["Worker:WorkerId"] = "worker-under-test";
        builder.Configuration["Worker:Slots"] = "2";
        builder.Configuration["Worker:CacheDirectory"] = cacheDirectory;
        // Share the test run's engine (and its ticker) rather than reserve another instance pool.
        builder.Services.AddSingleton(runtime.Engine);
        builder.Services.AddSingleton(runtime.Ticker);
        builder.Services.AddSingleton<IModuleSource>(modules);
        builder.Services.AddGrpc();
        builder.AddWorker();
        app = builder.Build();
        app.MapGrpcService<WorkerService>();
        await app.StartAsync();
        channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
    }

    private const string Traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private ExecuteRequest Request(string module, string payload, uint timeoutMs = 5_000, string? executionId = null, string traceparent = "") => new()
    {
        ExecutionId = executionId ?? Guid.CreateVersion7().ToString(),
        Traceparent = traceparent,
        Function = new FunctionSpec
        {
            Name = "greeter",
            Version = 3,
            ModuleSha256 = modules.Add(TestModules.Wasm(module)),
            TimeoutMs = timeoutMs,
            MemoryMb = 64,
            Env = { ["GREETING"] = "hello" },
        },
        Payload = ByteString.CopyFromUtf8(payload),
    };

    [Fact]
    public async Task Execute_runs_the_function_and_reports_a_cold_then_a_warm_call()
    {
        var request = Request("echo", "ping");

        var first = await Client.ExecuteAsync(request);
        var second = await Client.ExecuteAsync(request);

        Assert.Equal(Protos.V1.ExecutionOutcome.Ok, first.Outcome);
        Assert.Equal("ping", first.Output.ToStringUtf8());
        Assert.Equal("worker-under-test", first.Worker);
        Assert.True(first.Cold);
        Assert.False(second.Cold);
        Assert.True(second.HandlerMicros >= second.RunMicros);
    }

    [Fact]
    public async Task Prewarm_loads_a_module_before_its_first_call_and_unload_drops_it_again()
    {
        var request = Request("echo", "ping");
        var sha256 = request.Function.ModuleSha256;

        var prewarm = await Client.PrewarmAsync(new PrewarmRequest { ModuleSha256 = sha256 });
        var again = await Client.PrewarmAsync(new PrewarmRequest { ModuleSha256 = sha256 });
        Assert.True(prewarm.Loaded);
        Assert.False(again.Loaded);
        Assert.Contains(sha256, (await Client.GetStatusAsync(new GetStatusRequest())).WarmModules);
        Assert.False((await Client.ExecuteAsync(request)).Cold);

        var unload = await Client.UnloadAsync(new UnloadRequest { ModuleSha256 = { sha256, new string('0', 64) } });
        Assert.Equal(1u, unload.Unloaded);
        Assert.DoesNotContain(sha256, (await Client.GetStatusAsync(new GetStatusRequest())).WarmModules);

        // Its precompiled form stayed on disk: the next call loads it again, cold, and runs.
        var next = await Client.ExecuteAsync(request);
        Assert.True(next.Cold);
        Assert.Equal("ping", next.Output.ToStringUtf8());
    }

    [Fact]
    public async Task Prewarm_of_an_unknown_module_is_not_found()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.PrewarmAsync(new PrewarmRequest { ModuleSha256 = new string('1', 64) }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, error.StatusCode);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => Client.PrewarmAsync(new PrewarmRequest { ModuleSha256 = "not-a-hash" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
    }

    [Fact]
    public async Task Execute_passes_the_execution_id_and_the_trace_of_the_request_to_the_function()
    {
        var response = await Client.ExecuteAsync(Request("print_environ", "", executionId: "exec-42", traceparent: Traceparent));

        var environment = response.Output.ToStringUtf8().Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("FAAS_EXECUTION_ID=exec-42", environment);
        Assert.Contains("FAAS_TRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736", environment);
        Assert.Contains("FAAS_FUNCTION=greeter", environment);
        Assert.Contains("FAAS_VERSION=3", environment);
        Assert.Contains("GREETING=hello", environment);
    }

    [Fact]
    public async Task Execute_unseals_the_functions_secrets_into_its_environment_only()
    {
        var request = Request("print_environ", "");
        request.Function.SealedSecrets = app!.Services.GetRequiredService<FunctionSecrets>().Seal(new Dictionary<string, string> { ["DB_PASSWORD"] = "hunter2" });

        var response = await Client.ExecuteAsync(request);

        var environment = response.Output.ToStringUtf8().Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("DB_PASSWORD=hunter2", environment);
        Assert.Contains("GREETING=hello", environment);
        Assert.DoesNotContain("hunter2", request.Function.SealedSecrets);
    }

    [Fact]
    public async Task Secrets_sealed_with_another_key_ring_fail_the_call_clearly()
    {
        var request = Request("print_environ", "");
        request.Function.SealedSecrets = "CfDJ8not-a-value-this-key-ring-sealed";

        var error = await Assert.ThrowsAsync<RpcException>(async () => await Client.ExecuteAsync(request));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("key ring", error.Status.Detail);
    }

    [Fact]
    public async Task Function_failures_are_results_not_rpc_errors()
    {
        var failed = await Client.ExecuteAsync(Request("fail_with_stderr", ""));
        var timedOut = await Client.ExecuteAsync(Request("infinite_loop", "", timeoutMs: 50));

        Assert.Equal(Protos.V1.ExecutionOutcome.ExitedNonZero, failed.Outcome);
        Assert.Equal(3, failed.ExitCode);
        Assert.Equal("something went wrong\n", failed.StderrTail);
        Assert.Equal(Protos.V1.ExecutionOutcome.Timeout, timedOut.Outcome);
    }

    [Fact]
    public async Task A_module_that_does_not_exist_is_not_found()
    {
        var request = Request("echo", "");
        request.Function.ModuleSha256 = ModuleHash.Of("never deployed"u8);

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ExecuteAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task A_module_that_does_not_compile_is_a_failed_precondition()
    {
        var request = Request("echo", "");
        request.Function.ModuleSha256 = modules.Add("not wasm at all"u8.ToArray());

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ExecuteAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }

    [Fact]
    public async Task A_malformed_module_hash_is_an_invalid_argument()
    {
        var request = Request("echo", "");
        request.Function.ModuleSha256 = "../secrets";

        var error = await Assert.ThrowsAsync<RpcException>(() => Client.ExecuteAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task GetStatus_reports_capacity_and_warm_modules()
    {
        var request = Request("echo", "warm me");
        await Client.ExecuteAsync(request);

        var status = await Client.GetStatusAsync(new GetStatusRequest());

        Assert.Equal("worker-under-test", status.Worker);
        Assert.Equal(2u, status.Slots);
        Assert.Equal(0u, status.InFlight);
        Assert.True(status.MemoryBytes > 0);
        Assert.InRange(status.Cpu, 0, 1);
        Assert.Contains(request.Function.ModuleSha256, status.WarmModules);
    }

    [Fact]
    public async Task Calls_beyond_the_slots_wait_their_turn()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var sleepers = Enumerable.Range(0, 4).Select(_ => Client.ExecuteAsync(Request("sleep", "")).ResponseAsync).ToList();

        var responses = await Task.WhenAll(sleepers);

        Assert.All(responses, r => Assert.Equal("awake", r.Output.ToStringUtf8()));
        Assert.True(started.ElapsedMilliseconds >= 100, $"four 50 ms sleeps on two slots took {started.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_call_waiting_for_a_slot_can_give_up_and_takes_no_slot()
    {
        // Two runs hold both slots until they are cancelled, however late the second one starts on a busy machine.
        using var releaseSleepers = new CancellationTokenSource();
        var sleepers = Enumerable.Range(0, 2)
            .Select(_ => Client.ExecuteAsync(Request("sleep_minute", "", timeoutMs: 120_000), cancellationToken: releaseSleepers.Token).ResponseAsync)
            .ToList();
        await WaitUntilAsync(async () => (await Client.GetStatusAsync(new GetStatusRequest())).InFlight == 2);

        using var givingUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(10));
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            Client.ExecuteAsync(Request("echo", ""), cancellationToken: givingUp.Token).ResponseAsync);
        var stillHeld = (await Client.GetStatusAsync(new GetStatusRequest())).InFlight;
        await releaseSleepers.CancelAsync();

        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        Assert.Equal(2u, stillHeld);
        foreach (var sleeper in sleepers)
        {
            Assert.Equal(StatusCode.Cancelled, (await Assert.ThrowsAsync<RpcException>(() => sleeper)).StatusCode);
        }

        await WaitUntilAsync(async () => (await Client.GetStatusAsync(new GetStatusRequest())).InFlight == 0);
        Assert.Equal("after", (await Client.ExecuteAsync(Request("echo", "after"))).Output.ToStringUtf8());
    }

    [Fact]
    public async Task ExecuteStream_runs_calls_side_by_side_and_answers_each_by_its_call_id()
    {
        using var stream = Client.ExecuteStream();
        var sleep = Request("sleep", "");
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 100, Request = sleep, TimeoutMs = 30_000 });
        for (ulong id = 1; id <= 5; id++)
        {
            await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = id, Request = Request("echo", $"call {id}"), TimeoutMs = 30_000 });
        }

        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest
        {
            CallId = 6, Request = Request("print_environ", "", executionId: "exec-streamed", traceparent: Traceparent), TimeoutMs = 30_000,
        });
        await stream.RequestStream.CompleteAsync();

        var responses = new Dictionary<ulong, ExecuteStreamResponse>();
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            responses.Add(stream.ResponseStream.Current.CallId, stream.ResponseStream.Current);
        }

        // Every call answered once, the stream ended after the last answer (the caller had completed its side).
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5, 6, 100 }, responses.Keys.Order());
        Assert.All(responses.Values, r => Assert.Equal(0, r.StatusCode));
        for (ulong id = 1; id <= 5; id++)
        {
            Assert.Equal($"call {id}", responses[id].Response.Output.ToStringUtf8());
            Assert.Equal("worker-under-test", responses[id].Response.Worker);
        }

        Assert.Equal("awake", responses[100].Response.Output.ToStringUtf8());
        var environment = responses[6].Response.Output.ToStringUtf8().Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("FAAS_EXECUTION_ID=exec-streamed", environment);
        Assert.Contains("FAAS_TRACE_ID=4bf92f3577b34da6a3ce929d0e0e4736", environment);
    }

    [Fact]
    public async Task ExecuteStream_answers_a_call_that_cannot_run_with_the_unary_calls_status_and_goes_on()
    {
        using var stream = Client.ExecuteStream();
        var unknown = Request("echo", "");
        unknown.Function.ModuleSha256 = new string('1', 64);
        var malformed = Request("echo", "");
        malformed.Function.ModuleSha256 = "not-a-hash";

        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 1, Request = unknown, TimeoutMs = 30_000 });
        var notFound = await NextAsync(stream);
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 2, Request = malformed, TimeoutMs = 30_000 });
        var invalid = await NextAsync(stream);
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 3, Request = Request("echo", "still here"), TimeoutMs = 30_000 });
        var echo = await NextAsync(stream);

        Assert.Equal((1ul, (int)StatusCode.NotFound), (notFound.CallId, notFound.StatusCode));
        Assert.Null(notFound.Response);
        Assert.Equal((2ul, (int)StatusCode.InvalidArgument), (invalid.CallId, invalid.StatusCode));
        Assert.Contains("module_sha256", invalid.StatusDetail);
        Assert.Equal("still here", echo.Response.Output.ToStringUtf8());
    }

    [Fact]
    public async Task ExecuteStream_cancels_a_call_its_caller_gave_up_on_and_it_takes_no_slot()
    {
        using var stream = Client.ExecuteStream();
        // Two runs hold both slots; the third call waits for a slot, and is given up.
        await HoldBothSlotsAsync(stream);
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 3, Request = Request("echo", ""), TimeoutMs = 30_000 });
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 3, Cancel = true });

        var cancelled = await NextAsync(stream);
        var released = await ReleaseBothSlotsAsync(stream);

        Assert.Equal((3ul, (int)StatusCode.Cancelled), (cancelled.CallId, cancelled.StatusCode));
        Assert.Equal([1ul, 2ul], released.Select(r => r.CallId).Order());
        await WaitUntilAsync(async () => (await Client.GetStatusAsync(new GetStatusRequest())).InFlight == 0);
    }

    [Fact]
    public async Task ExecuteStream_gives_up_a_call_at_its_timeout_as_the_unary_deadline_would()
    {
        using var stream = Client.ExecuteStream();
        await HoldBothSlotsAsync(stream);
        // No slot frees before this call's own limit passes.
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 3, Request = Request("echo", ""), TimeoutMs = 50 });

        var first = await NextAsync(stream);
        await ReleaseBothSlotsAsync(stream);

        Assert.Equal((3ul, (int)StatusCode.DeadlineExceeded), (first.CallId, first.StatusCode));
    }

    /// <summary>
    /// Calls 1 and 2: two runs that hold both slots until <see cref="ReleaseBothSlotsAsync"/> cancels them, so the test
    /// sees them holding both however late the second one starts on a busy machine.
    /// </summary>
    private async Task HoldBothSlotsAsync(AsyncDuplexStreamingCall<ExecuteStreamRequest, ExecuteStreamResponse> stream)
    {
        for (ulong id = 1; id <= 2; id++)
        {
            await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = id, Request = Request("sleep_minute", "", timeoutMs: 120_000), TimeoutMs = 120_000 });
        }

        await WaitUntilAsync(async () => (await Client.GetStatusAsync(new GetStatusRequest())).InFlight == 2);
    }

    /// <summary>Cancels calls 1 and 2 and returns their answers (whatever the cut-short sleeps made of them: their caller has gone).</summary>
    private static async Task<ExecuteStreamResponse[]> ReleaseBothSlotsAsync(AsyncDuplexStreamingCall<ExecuteStreamRequest, ExecuteStreamResponse> stream)
    {
        for (ulong id = 1; id <= 2; id++)
        {
            await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = id, Cancel = true });
        }

        return [await NextAsync(stream), await NextAsync(stream)];
    }

    private static async Task<ExecuteStreamResponse> NextAsync(AsyncDuplexStreamingCall<ExecuteStreamRequest, ExecuteStreamResponse> stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token), "the stream ended early");
        return stream.ResponseStream.Current;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        channel?.Dispose();
        if (app is not null)
        {
            await app.DisposeAsync();
        }

        Directory.Delete(cacheDirectory, recursive: true);
    }

    [Fact]
    public async Task A_call_without_an_execution_id_is_refused_unary_and_on_the_stream()
    {
        var unary = await Assert.ThrowsAsync<RpcException>(() => Client.ExecuteAsync(Request("echo", "x", executionId: "")).ResponseAsync);

        using var stream = Client.ExecuteStream();
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 1, Request = Request("echo", "x", executionId: ""), TimeoutMs = 30_000 });
        await stream.RequestStream.WriteAsync(new ExecuteStreamRequest { CallId = 2, Request = Request("echo", "x", executionId: new string('e', 65)), TimeoutMs = 30_000 });
        await stream.RequestStream.CompleteAsync();
        var answers = new Dictionary<ulong, ExecuteStreamResponse>();
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            answers.Add(stream.ResponseStream.Current.CallId, stream.ResponseStream.Current);
        }

        Assert.Equal(StatusCode.InvalidArgument, unary.StatusCode);
        Assert.Contains("execution id is required", unary.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[1].StatusCode);
        Assert.Equal((int)StatusCode.InvalidArgument, answers[2].StatusCode);
        Assert.Contains("1 to 64 visible ASCII characters", answers[2].StatusDetail, StringComparison.Ordinal);
    }
}
