using Faas.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests.Sinks;

/// <summary>
/// A sink driven by hand over the sink protocol, so a test decides when it heartbeats, acknowledges, completes or falls
/// silent. Heartbeats run in the background until <see cref="FallSilentAsync"/>.
/// </summary>
public sealed class RawSink : IAsyncDisposable
{
    private readonly SinkProtocol.SinkProtocolClient client;
    private readonly CancellationTokenSource heartbeats = new();
    private AsyncServerStreamingCall<SinkTask>? pull;
    private Task heartbeating = Task.CompletedTask;

    private RawSink(GrpcChannel channel, string token)
    {
        client = new SinkProtocol.SinkProtocolClient(channel);
        Headers = new Metadata { { "authorization", "Bearer " + token } };
    }

    public Metadata Headers { get; }

    public string SinkId { get; private set; } = "";

    public string Name { get; private set; } = "";

    public SinkState LastState { get; private set; }

    public SinkProtocol.SinkProtocolClient Client => client;

    public static async Task<RawSink> StartAsync(
        GrpcChannel channel, string credential, string name, string runtime = "javascript", uint memoryMb = 1024, uint slots = 2, bool pull = true)
    {
        var login = await new SinkProtocol.SinkProtocolClient(channel).LoginAsync(new SinkLoginRequest { Credential = credential });
        var sink = new RawSink(channel, login.Token) { Name = name };
        var registered = await sink.client.RegisterAsync(new RegisterSinkRequest
        {
            Name = name,
            Capacity = new SinkCapacity { Slots = slots, MemoryMb = memoryMb, Runtimes = { runtime } },
        }, sink.Headers);
        sink.SinkId = registered.SinkId;
        sink.heartbeating = sink.HeartbeatAsync(TimeSpan.FromMilliseconds(registered.HeartbeatIntervalMs));
        if (pull)
        {
            sink.pull = sink.client.Pull(new PullTasksRequest { SinkId = sink.SinkId }, sink.Headers);
        }

        return sink;
    }

    /// <summary>The next task the sink manager gives this sink.</summary>
    public async Task<SinkTask> NextTaskAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(30));
        Assert.True(await pull!.ResponseStream.MoveNext(timeout.Token), $"the Pull of {Name} ended");
        return pull.ResponseStream.Current;
    }

    public Task AckAsync(SinkTask task) => client.AckAsync(new SinkTaskRef { SinkId = SinkId, TaskId = task.TaskId }, Headers).ResponseAsync;

    public Task CompleteAsync(SinkTask task, string output) => client.CompleteAsync(new CompleteSinkTaskRequest
    {
        SinkId = SinkId,
        TaskId = task.TaskId,
        Result = new ExecuteResponse { Outcome = ExecutionOutcome.Ok, Output = Google.Protobuf.ByteString.CopyFromUtf8(output), Worker = Name },
    }, Headers).ResponseAsync;

    public async Task<SinkState> HeartbeatOnceAsync() =>
        (await client.HeartbeatAsync(new SinkHeartbeatRequest { SinkId = SinkId, Load = new SinkLoad() }, Headers)).State;

    /// <summary>Stops heartbeating and pulling, as a sink whose machine froze.</summary>
    public async Task FallSilentAsync()
    {
        await heartbeats.CancelAsync();
        await heartbeating;
    }

    private async Task HeartbeatAsync(TimeSpan interval)
    {
        try
        {
            while (!heartbeats.IsCancellationRequested)
            {
                LastState = (await client.HeartbeatAsync(new SinkHeartbeatRequest { SinkId = SinkId, Load = new SinkLoad() }, Headers, cancellationToken: heartbeats.Token)).State;
                await Task.Delay(interval, heartbeats.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || (e is RpcException r && (r.StatusCode == StatusCode.Cancelled || heartbeats.IsCancellationRequested)))
        {
            // Told to stop.
        }
        catch (RpcException)
        {
            // Deleted or forgotten: the test looks at the state itself.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await FallSilentAsync();
        pull?.Dispose();
        try
        {
            await client.DeregisterAsync(new DeregisterSinkRequest { SinkId = SinkId }, Headers);
        }
        catch (RpcException)
        {
            // Already gone.
        }

        heartbeats.Dispose();
    }
}
