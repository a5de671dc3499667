using System.Globalization;
using System.Text.Json;

namespace Faas.AppHost.Dashboard;

/// <summary>One sink as the dashboard shows it.</summary>
public sealed record SinkRow(
    string Name, string State, string Mode, int Slots, int MemoryMb, string Runtimes, double Cpu, int InFlight, int TasksHeld,
    DateTimeOffset? LastHeartbeatAt, int WarmModules = 0);

/// <summary>The sinks (built-in workers and external ones) from the gateway's <c>GET /v1/sinks</c>, or why they are unknown.</summary>
public sealed class SinkStatus(GatewayAdminClient gateway)
{
    public bool Applies => gateway.HasGateway;

    public async Task<(IReadOnlyList<SinkRow>? Rows, string Problem)> GetAsync(CancellationToken cancellationToken)
    {
        var (body, problem) = await gateway.GetAsync("/v1/sinks", cancellationToken).ConfigureAwait(false);
        return body is { } json ? (Parse(json), "") : (null, problem);
    }

    /// <summary>The rows of a <c>ListSinksResponse</c> in JSON (fields with default values may be absent).</summary>
    public static IReadOnlyList<SinkRow> Parse(JsonElement response) =>
        response.TryGetProperty("sinks", out var sinks) && sinks.ValueKind == JsonValueKind.Array
            ? sinks.EnumerateArray().Select(s =>
            {
                var capacity = s.TryGetProperty("capacity", out var c) ? c : default;
                var load = s.TryGetProperty("load", out var l) ? l : default;
                return new SinkRow(
                    Text(s, "name"),
                    Text(s, "state").Replace("SINK_", "", StringComparison.Ordinal),
                    Text(s, "pushAddress") is { Length: > 0 } push ? $"push {push}" : "pull",
                    Number(capacity, "slots"),
                    Number(capacity, "memoryMb"),
                    capacity.ValueKind == JsonValueKind.Object && capacity.TryGetProperty("runtimes", out var runtimes)
                        ? string.Join(", ", runtimes.EnumerateArray().Select(r => r.GetString()))
                        : "",
                    load.ValueKind == JsonValueKind.Object && load.TryGetProperty("cpu", out var cpu) ? cpu.GetDouble() : 0,
                    Number(load, "inFlight"),
                    Number(s, "tasksHeld"),
                    DateTimeOffset.TryParse(Text(s, "lastHeartbeatAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
                    load.ValueKind == JsonValueKind.Object && load.TryGetProperty("warmModules", out var warm) && warm.ValueKind == JsonValueKind.Array
                        ? warm.GetArrayLength()
                        : 0);
            }).ToArray()
            : [];

    private static string Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";

    private static int Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;
}
