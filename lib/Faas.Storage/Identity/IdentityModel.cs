namespace Faas.Storage.Identity;

/// <summary>What a user may do. Developers manage their tenant's functions; administrators also manage users and quotas.</summary>
public enum Role
{
    Developer,
    Admin,
}

public sealed record Tenant(Guid Id, string Name, TenantQuota Quota, DateTimeOffset CreatedAt);

/// <summary>A tenant's limits; a null field takes the installation's default.</summary>
public sealed record TenantQuota(int? MaxFunctions = null, int? MaxConcurrentExecutions = null, int? InvocationsPerSecond = null, int? InvocationBurst = null);

public sealed record User(Guid Id, Guid TenantId, string TenantName, string Email, string? PasswordHash, Role Role, DateTimeOffset CreatedAt);

public sealed record ApiKey(
    Guid Id, Guid UserId, string Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>What an API key stands for, with the hash its secret must match.</summary>
public sealed record ApiKeyIdentity(
    Guid KeyId, byte[] SecretSha256, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, Guid UserId, string Email, Guid TenantId, Role Role);

/// <summary>The e-mail address (<see cref="EmailTaken"/>) or the tenant name is taken.</summary>
public sealed class IdentityConflictException(string message, bool emailTaken) : Exception(message)
{
    public bool EmailTaken { get; } = emailTaken;
}
