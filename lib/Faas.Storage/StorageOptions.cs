namespace Faas.Storage;

/// <summary>The connection name follows the Aspire contract: ConnectionStrings__faasdb.</summary>
public sealed class StorageOptions
{
    public const string DatabaseConnectionName = "faasdb";
}
