using System.Diagnostics;

namespace Faas.Wasm.Diagnostics;

/// <summary>The execution core's trace source: one <c>faas.wasm.execute</c> span per run.</summary>
public static class WasmTelemetry
{
    public const string ActivitySourceName = "Faas.Wasm";

    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName);
}
