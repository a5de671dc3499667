namespace Faas.Storage.Identity;

/// <summary>A user already has as many API keys not revoked (expired ones included) as they may.</summary>
public sealed class ApiKeyLimitExceededException(int maxKeys)
    : Exception($"You have {maxKeys} API keys that are not revoked (expired ones count until revoked), the most you may have; revoke one you no longer use.")
{
    public int MaxKeys { get; } = maxKeys;
}
