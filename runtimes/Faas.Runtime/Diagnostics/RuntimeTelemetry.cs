using System.Diagnostics;

namespace Faas.Runtime.Diagnostics;

/// <summary>The runtime's trace source: one <c>faas.runtime.execute</c> span per run.</summary>
public static class RuntimeTelemetry
{
    public const string ActivitySourceName = "Faas.Runtime";

    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName);
}
