using System.Text.Json;
using Faas.AppHost.Model;

namespace Faas.AppHost.Dashboard;

/// <summary>One language and whether the mesh can build it.</summary>
public sealed record ToolchainRow(string Language, bool Available, string Version, string Description);

/// <summary>
/// Which languages the running compiler can build, for the dashboard: read from the gateway's public
/// <c>GET /v1/toolchains</c> (which asks the compiler) as the administrator, kept for a few seconds. Null while unknown (mesh starting,
/// gateway or compiler down, or no services at all).
/// </summary>
public sealed class ToolchainStatus(FaasAppModel model, GatewayAdminClient gateway) : IDisposable
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim refreshing = new(1, 1);
    private (IReadOnlyList<ToolchainRow>? Rows, DateTime ReadAt) last;

    public async Task<IReadOnlyList<ToolchainRow>?> GetAsync(CancellationToken cancellationToken)
    {
        if (model.Resources.All(r => r.Name != ResourceNames.Gateway))
        {
            return null;
        }

        if (last.Rows is not null && DateTime.UtcNow - last.ReadAt < MaxAge)
        {
            return last.Rows;
        }

        await refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (last.Rows is null || DateTime.UtcNow - last.ReadAt >= MaxAge)
            {
                last = (await ReadAsync(cancellationToken).ConfigureAwait(false), DateTime.UtcNow);
            }

            return last.Rows;
        }
        finally
        {
            refreshing.Release();
        }
    }

    private async Task<IReadOnlyList<ToolchainRow>?> ReadAsync(CancellationToken cancellationToken) =>
        (await gateway.GetAsync("/v1/toolchains", cancellationToken).ConfigureAwait(false)).Body is { } json ? Parse(json) : null;

    /// <summary>The rows of a <c>ListToolchainsResponse</c> in JSON (fields with default values may be absent).</summary>
    public static IReadOnlyList<ToolchainRow> Parse(JsonElement response) =>
        response.TryGetProperty("toolchains", out var toolchains) && toolchains.ValueKind == JsonValueKind.Array
            ? toolchains.EnumerateArray().Select(t => new ToolchainRow(
                Text(t, "language"),
                t.TryGetProperty("available", out var available) && available.ValueKind == JsonValueKind.True,
                Text(t, "version"),
                Text(t, "description"))).ToArray()
            : [];

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    public void Dispose() => refreshing.Dispose();
}
