using StackExchange.Redis;

namespace Faas.Queues;

/// <summary>
/// Tells every service that a function changed (new version, deletion) through Redis pub/sub, so
/// in-memory registries drop what they cached.
/// </summary>
public sealed class FunctionChangeNotifier(IConnectionMultiplexer redis)
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("faas:functions:changed");

    public Task PublishAsync(Guid tenantId, string name) =>
        redis.GetSubscriber().PublishAsync(Channel, $"{tenantId:N}/{name}");

    /// <summary>Calls <paramref name="onChanged"/> with (tenant, name) for every change anywhere in the mesh.</summary>
    public Task SubscribeAsync(Action<Guid, string> onChanged) =>
        redis.GetSubscriber().SubscribeAsync(Channel, (_, message) =>
        {
            var text = (string?)message;
            var slash = text?.IndexOf('/') ?? -1;
            if (slash > 0 && Guid.TryParseExact(text.AsSpan(0, slash), "N", out var tenantId))
            {
                onChanged(tenantId, text![(slash + 1)..]);
            }
        });
}
