namespace Faas.Storage;

/// <summary>Connection names follow the Aspire contract: ConnectionStrings__faasdb and ConnectionStrings__redis.</summary>
public sealed class StorageOptions
{
    public const string DatabaseConnectionName = "faasdb";
    public const string RedisConnectionName = "redis";
}
