namespace Faas.Storage;

/// <summary>A deploy would create a function beyond the tenant's quota.</summary>
public sealed class FunctionQuotaExceededException(int maxFunctions)
    : Exception($"The tenant's quota of {maxFunctions} functions is used up; delete a function or ask an administrator to raise the quota.")
{
    public int MaxFunctions { get; } = maxFunctions;
}
