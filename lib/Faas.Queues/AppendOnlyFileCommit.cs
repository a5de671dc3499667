using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>
/// Makes an acknowledged enqueue survive a kill of the queue server. Garnet answers a write once it is in its
/// append-only file's memory and writes the commit a moment later (unless started with <c>--aof-commit-wait</c>, which
/// holds every reply, leases and acks included, for a commit: several times slower end to end), so a SIGKILL in
/// between loses a message whose sender heard "accepted". <c>COMMITAOF</c> returns once everything before it is
/// committed, and an enqueue is answered only after one. Redis writes its append-only file before it replies and does
/// not know the command: after its first "unknown command" it is never sent again. Leases, acks and nacks need no
/// commit: one lost with the server brings its message back, and the consumer skips one already finished.
/// </summary>
internal sealed class AppendOnlyFileCommit(IConnectionMultiplexer redis)
{
    private volatile bool unsupported;

    public async Task CommitAsync()
    {
        if (unsupported)
        {
            return;
        }

        try
        {
            await redis.GetDatabase().ExecuteAsync("COMMITAOF").ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
        {
            unsupported = true;
        }
    }
}
