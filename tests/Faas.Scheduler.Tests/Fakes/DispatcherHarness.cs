using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Faas.Protos.V1;
using Faas.Queues;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Sinks;
using Faas.Scheduler.WarmPool;
using Faas.ServiceDefaults.Multiplexing;
using Faas.Storage.Postgres;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>
/// A real <see cref="Dispatcher"/> (with the real function queues, placement policy and warm targets) over fakes: sinks
/// whose workers answer from a script, a sink manager that answers pulled tasks from a script, a tenant quota with no
/// store. Counters the dispatcher adds to are recorded.
/// </summary>
internal sealed class DispatcherHarness : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MeterListener listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, KeyValuePair<string, object?>[] Tags)> measurements = new();

    // Never opened: the warm targets read the store only when the warm pool refreshes, which these tests never do.
    private readonly NpgsqlDataSource unusedDatabase = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
    private Dispatcher? dispatcher;
    private Faas.Scheduler.Leases.LeaseBroker? leases;

    public DispatcherHarness()
    {
        MeterFactory = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, MeterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        listener.Start();
        Queues = new FunctionQueues(MeterFactory);
        SinkManager = new FakeCallInvoker(async call => await PullAnswer((RunSinkTaskRequest)call.Request!, call.Options).ConfigureAwait(false));
        WarmTargets = new WarmTargets(
            new FunctionStore(unusedDatabase), new FunctionChangeNotifier(Unused.Of<IConnectionMultiplexer>()), TimeProvider.System,
            Options.Create(new WarmPoolOptions()), NullLogger<WarmTargets>.Instance);
    }

    public const string TenantId = "7d3c9a52-0f7e-4a44-9d7f-6c1b2a3e4f50";

    public IMeterFactory MeterFactory { get; }

    public FakeSinkView View { get; } = new();

    public FakeTenantConcurrency Tenants { get; } = new();

    public FunctionQueues Queues { get; }

    public WarmTargets WarmTargets { get; }

    public SchedulerOptions Settings { get; } = new();

    /// <summary>The sink manager's client transport: its calls are the tasks handed to sinks that pull.</summary>
    public FakeCallInvoker SinkManager { get; }

    /// <summary>How the sink manager answers a pulled task.</summary>
    public Func<RunSinkTaskRequest, CallOptions, Task<ExecuteResponse>> PullAnswer { get; set; } =
        (_, _) => throw new NotSupportedException("No pulled task was expected.");

    public Dispatcher Dispatcher => dispatcher ??= new Dispatcher(
        Queues, Tenants, new TenantShares(_ => 0, 1.0), new PlacementPolicy(View), View, new SinkDirectory.SinkDirectoryClient(SinkManager),
        WarmTargets, Options.Create(Settings), MeterFactory, NullLogger<Dispatcher>.Instance);

    public Faas.Scheduler.Leases.LeaseOptions LeaseSettings { get; } = new();

    /// <summary>The lease broker over the same dispatcher, sinks and queues.</summary>
    public Faas.Scheduler.Leases.LeaseBroker Leases => leases ??= new Faas.Scheduler.Leases.LeaseBroker(
        Dispatcher, new PlacementPolicy(View), View, Options.Create(LeaseSettings), MeterFactory, NullLogger<Faas.Scheduler.Leases.LeaseBroker>.Instance);

    /// <summary>A sink work is pushed to, whose worker answers every call with <paramref name="run"/>.</summary>
    public TestWorker AddSink(string name, Func<ExecuteRequest, CallOptions, Task<ExecuteResponse>> run, string[]? warm = null, uint slots = 4)
    {
        var invoker = new FakeCallInvoker(async call => await run((ExecuteRequest)call.Request!, call.Options).ConfigureAwait(false));
        var sink = new Sink(
            TestSinks.Info(name, slots, warm: warm), new Protos.V1.PushedSink.PushedSinkClient(invoker), TimeProvider.System,
            new MultiplexingOptions { Enabled = false });
        View.Add(sink);
        return new TestWorker(sink, invoker);
    }

    public static FunctionSpec Function(string name = "f", bool idempotent = false, uint maxConcurrency = 4, uint queueCapacity = 8) => new()
    {
        TenantId = TenantId,
        FunctionId = "0b6f1c2d-3e4f-4a5b-8c7d-9e0f1a2b3c4d",
        Name = name,
        Version = 1,
        ModuleSha256 = "sha-" + name,
        TimeoutMs = 2000,
        MemoryMb = 128,
        MaxConcurrency = maxConcurrency,
        QueueCapacity = queueCapacity,
        Idempotent = idempotent,
    };

    public Task<DispatchResponse> DispatchAsync(FunctionSpec function, List<string>? started = null, CancellationToken cancellationToken = default) =>
        Dispatcher.DispatchAsync("exec-1", function, ByteString.CopyFromUtf8("input"), cancellationToken, started is null ? null : w =>
        {
            lock (started)
            {
                started.Add(w);
            }
        });

    /// <summary>The sum a counter was added, over measurements with the tag (or all of them).</summary>
    public long Counted(string instrument, string? tag = null, string? value = null) => measurements
        .Where(m => m.Instrument == instrument && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value))))
        .Sum(m => m.Value);

    public static Task<ExecuteResponse> Ok(string output, string worker = "") =>
        Task.FromResult(new ExecuteResponse { Outcome = ExecutionOutcome.Ok, Output = ByteString.CopyFromUtf8(output), Worker = worker });

    public static Task<ExecuteResponse> Fails(RpcException error) => Task.FromException<ExecuteResponse>(error);

    public static RpcException Error(StatusCode code, string detail) => new(new Status(code, detail));

    /// <summary>What the client throws when the connection could not be made: the request never left.</summary>
    public static RpcException ConnectionRefused() => new(new Status(
        StatusCode.Unavailable, "Error connecting to subchannel.", new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")));

    /// <summary>A call the worker holds until the client cancels it, ending as a cancelled gRPC call does.</summary>
    public static async Task<ExecuteResponse> HoldUntilCancelled(CallOptions options, SemaphoreSlim? entered = null)
    {
        entered?.Release();
        try
        {
            await Task.Delay(Timeout.Infinite, options.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "Call canceled by the client."));
        }

        throw new UnreachableException();
    }

    public void Dispose()
    {
        listener.Dispose();
        unusedDatabase.Dispose();
        services.Dispose();
    }
}

/// <summary>A sink with a scripted worker, and the calls its worker received.</summary>
internal sealed record TestWorker(Sink Sink, FakeCallInvoker Invoker)
{
    public int Calls => Invoker.Calls.Count;
}
