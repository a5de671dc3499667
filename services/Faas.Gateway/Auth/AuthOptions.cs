using System.ComponentModel.DataAnnotations;

namespace Faas.Gateway.Auth;

/// <summary>Section "Auth": how users and machines prove who they are at the public edge.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The key user tokens are signed with (base64, at least 32 bytes). Or <see cref="SigningKeyFile"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding the signing key; the AppHost generates one under its state directory.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Issuer and audience of user tokens.</summary>
    [Required]
    public string Issuer { get; set; } = "faas";

    /// <summary>How long a login's token is valid.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Whether anyone may register an account (and with it a tenant). Off: Register is PERMISSION_DENIED (HTTP 403) and
    /// only administrators create users.
    /// </summary>
    public bool AllowRegistration { get; set; } = true;

    /// <summary>
    /// Registrations and logins (each a bcrypt hash) one client address may make within <see cref="AccountRequestWindow"/>;
    /// more are RESOURCE_EXHAUSTED (HTTP 429) with Retry-After.
    /// </summary>
    [Range(1, 1_000_000)]
    public int AccountRequestsPerAddress { get; set; } = 20;

    /// <summary>Registrations and logins from every address together within <see cref="AccountRequestWindow"/>, per gateway.</summary>
    [Range(1, 10_000_000)]
    public int AccountRequestsPerGateway { get; set; } = 200;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan AccountRequestWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>bcrypt hashes (registrations, logins, users created) computed at once; the others wait their turn.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentPasswordHashes { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Hashes that may wait for a turn; beyond them a registration or login is RESOURCE_EXHAUSTED (HTTP 429).</summary>
    [Range(0, 100_000)]
    public int PasswordHashQueue { get; set; } = 64;

    [Range(8, 1024)]
    public int MinPasswordLength { get; set; } = 12;

    /// <summary>API keys one user may have that are not revoked; beyond, creating one is HTTP 409 / FAILED_PRECONDITION.</summary>
    [Range(1, 100_000)]
    public int MaxApiKeysPerUser { get; set; } = 100;

    /// <summary>bcrypt's cost: 2^N rounds.</summary>
    [Range(4, 16)]
    public int BcryptWorkFactor { get; set; } = 11;

    /// <summary>Failed logins allowed per account within <see cref="LoginFailureWindow"/>; then 429 until the window moves on.</summary>
    [Range(1, 10_000)]
    public int MaxLoginFailuresPerAccount { get; set; } = 5;

    /// <summary>Failed logins allowed per client address within <see cref="LoginFailureWindow"/>.</summary>
    [Range(1, 100_000)]
    public int MaxLoginFailuresPerAddress { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a gateway trusts an API key it checked before reading it again (a revoke through the API is seen at once).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a gateway trusts what it read about a token's user (still there, not logged out); a logout or a
    /// deleted user through the API is seen by every gateway at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SessionCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// On a database without an administrator, create one (<see cref="BootstrapAdminEmail"/>) with an API key written to
    /// this file (mode 0600). The AppHost sets it to <c>.faas/admin.key</c>.
    /// </summary>
    public string? BootstrapAdminKeyFile { get; set; }

    [Required]
    public string BootstrapAdminEmail { get; set; } = "admin@faas.local";
}
