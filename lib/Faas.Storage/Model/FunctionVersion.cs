namespace Faas.Storage.Model;

public enum VersionState
{
    Building,
    Ready,
    BuildFailed,
}

/// <summary>One immutable version of a function.</summary>
public sealed record FunctionVersion(
    Guid TenantId,
    Guid FunctionId,
    string FunctionName,
    int Version,
    string Language,
    VersionState State,
    string? ModuleSha256,
    long ModuleSizeBytes,
    FunctionConfig Config,
    string Description,
    DateTimeOffset CreatedAt);
