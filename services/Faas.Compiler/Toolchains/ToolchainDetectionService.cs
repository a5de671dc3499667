using Faas.Compiler.Toolchains.Languages;

namespace Faas.Compiler.Toolchains;

/// <summary>
/// Starts toolchain detection when the service starts, so the availability of each language is logged and
/// known before the first build or health probe asks (detection runs each compiler's <c>--version</c>).
/// </summary>
public sealed class ToolchainDetectionService(ToolchainDetector detector) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not awaited: the service starts meanwhile; its health check waits for the result.
        _ = detector.GetInventoryAsync(CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
