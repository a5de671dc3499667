namespace Faas.ServiceDefaults.ServiceIdentity;

/// <summary>
/// Section "ServiceAuth": the key the services sign and check each other's tokens with. Give the key itself
/// (<see cref="Key"/>, base64, at least 32 bytes) or a file holding it (<see cref="KeyFile"/>); the AppHost
/// generates one under its state directory and hands every service the file.
/// </summary>
public sealed class ServiceAuthOptions
{
    public const string SectionName = "ServiceAuth";

    /// <summary>Audience of service tokens: a user's token is never one.</summary>
    public const string Audience = "faas-internal";

    public string? Key { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>How long a service token is valid; it is renewed well before.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);
}
