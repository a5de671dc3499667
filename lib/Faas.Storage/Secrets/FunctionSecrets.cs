using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Faas.Storage.Secrets;

/// <summary>
/// A function's secrets, sealed with ASP.NET Core Data Protection (AES-256-CBC + HMAC-SHA256, keys rotated by the
/// key ring). The gateway seals them at deploy; they are stored, queued and sent between services only sealed; the
/// worker unseals them just before a run. The key ring lives outside the database (see
/// <see cref="FunctionSecretsOptions.KeyDirectory"/>), so a copy of the database alone reveals nothing.
/// </summary>
public sealed class FunctionSecrets(IDataProtectionProvider provider)
{
    private const string Purpose = "Faas.FunctionSecrets.v1";
    private const int MaxCachedVersions = 10_000;
    private readonly IDataProtector protector = provider.CreateProtector(Purpose);
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> unsealed = new(StringComparer.Ordinal);

    public string Seal(IReadOnlyDictionary<string, string> secrets) => protector.Protect(JsonSerializer.Serialize(secrets));

    /// <summary>The secrets a sealed value holds; versions are immutable, so each is unsealed once and cached.</summary>
    public IReadOnlyDictionary<string, string> Unseal(string sealedSecrets)
    {
        if (unsealed.TryGetValue(sealedSecrets, out var secrets))
        {
            return secrets;
        }

        try
        {
            secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(sealedSecrets))
                ?? new Dictionary<string, string>();
        }
        catch (CryptographicException e)
        {
            throw new SecretsUnavailableException(
                "The function's secrets cannot be unsealed: this service does not have the key ring they were sealed with (DataProtection:KeyDirectory).", e);
        }

        if (unsealed.Count >= MaxCachedVersions)
        {
            unsealed.Clear();
        }

        unsealed[sealedSecrets] = secrets;
        return secrets;
    }
}

public sealed class SecretsUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Section "DataProtection".</summary>
public sealed class FunctionSecretsOptions
{
    public const string SectionName = "DataProtection";

    /// <summary>
    /// The key ring's directory, shared by every service that seals or unseals secrets (the AppHost uses
    /// <c>.faas/secrets/data-protection</c>; on Kubernetes a mounted secret volume).
    /// </summary>
    public string? KeyDirectory { get; set; }
}
