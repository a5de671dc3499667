namespace Faas.Caching;

/// <summary>Caching of resolved functions (section "Registry").</summary>
public sealed class FunctionRegistryOptions
{
    /// <summary>
    /// Upper bound on how long a cached version is trusted without a change notification; a safety net
    /// for notifications lost while Redis was unreachable.
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long "no such function" is remembered.</summary>
    public TimeSpan NotFoundMaxAge { get; set; } = TimeSpan.FromSeconds(5);
}
