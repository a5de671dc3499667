using Faas.Compiler.Toolchains.Languages;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Faas.Compiler.Toolchains;

/// <summary>
/// Healthy once start-up detection has run (so the service takes builds only when it knows what it can
/// build), with each language's availability in the data; Degraded when no language can be built.
/// </summary>
public sealed class ToolchainHealthCheck(ToolchainDetector detector) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var inventory = await detector.GetInventoryAsync(cancellationToken).ConfigureAwait(false);
        var data = inventory.Reports.Values.ToDictionary(r => r.Language.ToName(), r => (object)(r.IsAvailable ? "available" : "unavailable"));
        var available = inventory.Reports.Values.Count(r => r.IsAvailable);
        return available == 0
            ? HealthCheckResult.Degraded("No toolchain is installed: every build fails. See the compiler's log for what to install.", data: data)
            : HealthCheckResult.Healthy($"{available} of {inventory.Reports.Count} languages can be built.", data);
    }
}
