namespace Faas.Queues;

/// <summary>The connection name follows the Aspire contract: ConnectionStrings__redis.</summary>
public sealed class RedisOptions
{
    public const string ConnectionName = "redis";
}
