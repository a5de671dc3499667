using System.Globalization;
using System.Text.Json;

namespace Faas.AppHost.Status;

/// <summary>One sink of the gateway's <c>GET /v1/sinks</c> (fields with default values may be absent from the JSON).</summary>
internal sealed record SinkRow(
    string Id, string Name, string State, string Mode, int Slots, int MemoryMb, string Runtimes, double Cpu, int InFlight, int TasksHeld,
    DateTimeOffset? LastHeartbeatAt, int WarmModules)
{
    public string Summary => $"{Name} {State} ({Mode}, {InFlight}/{Slots} in flight)";

    public IReadOnlyList<(string Name, string Value)> Properties() =>
    [
        ("sink.state", State),
        ("sink.mode", Mode),
        ("sink.capacity", $"{Slots} slots, {MemoryMb} MiB, runtimes {Runtimes}"),
        ("sink.load", $"{InFlight} in flight, {TasksHeld} tasks held, CPU {MeshStatus.Invariant(Cpu)}"),
        ("sink.warmModules", WarmModules.ToString(CultureInfo.InvariantCulture)),
        ("sink.lastHeartbeat", LastHeartbeatAt?.ToString("O", CultureInfo.InvariantCulture) ?? "never"),
    ];

    public static IReadOnlyList<SinkRow> Parse(JsonElement response) =>
        response.TryGetProperty("sinks", out var sinks) && sinks.ValueKind == JsonValueKind.Array
            ? [.. sinks.EnumerateArray().Select(s =>
            {
                var capacity = s.TryGetProperty("capacity", out var c) ? c : default;
                var load = s.TryGetProperty("load", out var l) ? l : default;
                return new SinkRow(
                    MeshStatus.Text(s, "sinkId"),
                    MeshStatus.Text(s, "name"),
                    MeshStatus.Text(s, "state").Replace("SINK_", "", StringComparison.Ordinal),
                    MeshStatus.Text(s, "pushAddress") is { Length: > 0 } push ? $"push {push}" : "pull",
                    Number(capacity, "slots"),
                    Number(capacity, "memoryMb"),
                    capacity.ValueKind == JsonValueKind.Object && capacity.TryGetProperty("runtimes", out var runtimes)
                        ? string.Join(", ", runtimes.EnumerateArray().Select(r => r.GetString()))
                        : "",
                    load.ValueKind == JsonValueKind.Object && load.TryGetProperty("cpu", out var cpu) ? cpu.GetDouble() : 0,
                    Number(load, "inFlight"),
                    Number(s, "tasksHeld"),
                    DateTimeOffset.TryParse(MeshStatus.Text(s, "lastHeartbeatAt"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null,
                    load.ValueKind == JsonValueKind.Object && load.TryGetProperty("warmModules", out var warm) && warm.ValueKind == JsonValueKind.Array ? warm.GetArrayLength() : 0);
            })]
            : [];

    private static int Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 0;
}
