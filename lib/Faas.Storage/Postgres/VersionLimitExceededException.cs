namespace Faas.Storage.Postgres;

/// <summary>A deploy would give a function more than the versions it may have.</summary>
public sealed class VersionLimitExceededException(string function, int maxVersions)
    : Exception($"Function '{function}' has {maxVersions} versions, the most it may have.")
{
    public string Function { get; } = function;

    public int MaxVersions { get; } = maxVersions;
}
