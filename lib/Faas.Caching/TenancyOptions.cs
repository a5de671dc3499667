using System.ComponentModel.DataAnnotations;

namespace Faas.Caching;

/// <summary>Section "Tenancy": the quota of a tenant that has none of its own, and how long services cache quotas.</summary>
public sealed class TenancyOptions
{
    public const string SectionName = "Tenancy";

    /// <summary>Functions a tenant may have.</summary>
    [Range(1, 1_000_000)]
    public int MaxFunctions { get; set; } = 1_000;

    /// <summary>Executions of a tenant in the scheduler at once (running or waiting for a slot), sync and async together.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentExecutions { get; set; } = 2_000;

    /// <summary>Invocations (invoke and enqueue) a tenant may start per second, on average.</summary>
    [Range(1, 10_000_000)]
    public int InvocationsPerSecond { get; set; } = 20_000;

    /// <summary>Invocations a tenant may start at once above the average rate.</summary>
    [Range(1, 10_000_000)]
    public int InvocationBurst { get; set; } = 40_000;

    /// <summary>How long a service trusts a tenant's quota it read before reading it again (a change made through the API is seen at once).</summary>
    public TimeSpan QuotaCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>A tenant's quota with the defaults filled in.</summary>
public sealed record EffectiveQuota(int MaxFunctions, int MaxConcurrentExecutions, int InvocationsPerSecond, int InvocationBurst);
