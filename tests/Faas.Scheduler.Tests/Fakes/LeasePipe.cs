using System.Threading.Channels;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>A gateway's end of a lease stream, in memory: what it sends is the scheduler's request stream, what the scheduler writes it reads.</summary>
internal sealed class LeasePipe : IAsyncStreamReader<LeaseClientMessage>, IServerStreamWriter<LeaseServerMessage>
{
    private readonly Channel<LeaseClientMessage> toScheduler = Channel.CreateUnbounded<LeaseClientMessage>();
    private readonly Channel<LeaseServerMessage> toGateway = Channel.CreateUnbounded<LeaseServerMessage>();

    public LeaseClientMessage Current { get; private set; } = null!;

    public WriteOptions? WriteOptions { get; set; }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (await toScheduler.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && toScheduler.Reader.TryRead(out var message))
        {
            Current = message;
            return true;
        }

        return false;
    }

    public Task WriteAsync(LeaseServerMessage message)
    {
        toGateway.Writer.TryWrite(message);
        return Task.CompletedTask;
    }

    public void Send(LeaseClientMessage message) => toScheduler.Writer.TryWrite(message);

    public void Acquire(ulong requestId, FunctionSpec function, params string[] exclude) =>
        Send(new LeaseClientMessage { Acquire = new LeaseAcquire { RequestId = requestId, Function = function, ExcludeSinkIds = { exclude } } });

    public void Return(ulong leaseId) => Send(new LeaseClientMessage { Return = new LeaseReturn { LeaseId = leaseId, ModuleLoaded = true } });

    /// <summary>The gateway closes its side, as a gateway does when it stops (or its process dies and the connection closes).</summary>
    public void Close() => toScheduler.Writer.TryComplete();

    /// <summary>The scheduler's next message other than a keep-alive, within five seconds.</summary>
    public async Task<LeaseServerMessage> NextAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var message = await toGateway.Reader.ReadAsync(timeout.Token);
            if (message.KindCase != LeaseServerMessage.KindOneofCase.KeepAlive)
            {
                return message;
            }
        }
    }

    /// <summary>Whether the scheduler says anything but keep-alives within <paramref name="within"/>.</summary>
    public async Task<LeaseServerMessage?> NothingWithinAsync(TimeSpan within)
    {
        try
        {
            return await NextAsync(within);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
