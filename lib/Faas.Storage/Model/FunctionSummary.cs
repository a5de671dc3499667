namespace Faas.Storage.Model;

/// <summary>A function with its latest version.</summary>
public sealed record FunctionSummary(
    Guid Id,
    string Name,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int VersionCount,
    FunctionVersion? Latest);
