using System.Text.Json;
using System.Text.Json.Serialization;
using Faas.Storage.Model;

namespace Faas.Storage.Executions;

/// <summary>
/// The <c>attempt_log</c> column: a JSON object keyed by attempt number, so writing an attempt twice
/// replaces its own entry (merged field by field in SQL) rather than adding a second one.
/// </summary>
internal static class AttemptLog
{
    public static string Patch(ExecutionAttempt? attempt)
    {
        if (attempt is null)
        {
            return "{}";
        }

        var entry = new AttemptEntry
        {
            StartedAt = attempt.StartedAt,
            FinishedAt = attempt.FinishedAt,
            Worker = string.IsNullOrEmpty(attempt.Worker) ? null : attempt.Worker,
            Outcome = string.IsNullOrEmpty(attempt.Outcome) ? null : attempt.Outcome,
            Error = string.IsNullOrEmpty(attempt.Error) ? null : Postgres.ExecutionStore.Text(attempt.Error),
            ExitCode = attempt.Outcome.Length == 0 ? null : attempt.ExitCode,
            RunMicros = attempt.Outcome.Length == 0 ? null : attempt.RunMicros,
        };
        var patch = new Dictionary<string, AttemptEntry> { [attempt.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry };
        return JsonSerializer.Serialize(patch, AttemptLogJsonContext.Default.DictionaryStringAttemptEntry);
    }

    public static IReadOnlyList<ExecutionAttempt> Parse(string json)
    {
        var entries = JsonSerializer.Deserialize(json, AttemptLogJsonContext.Default.DictionaryStringAttemptEntry);
        if (entries is null || entries.Count == 0)
        {
            return [];
        }

        return entries
            .Select(e => new ExecutionAttempt(
                int.Parse(e.Key, System.Globalization.CultureInfo.InvariantCulture), e.Value.StartedAt, e.Value.FinishedAt,
                e.Value.Worker ?? "", e.Value.Outcome ?? "", e.Value.Error ?? "", e.Value.ExitCode ?? 0, e.Value.RunMicros ?? 0))
            .OrderBy(a => a.Number)
            .ToArray();
    }
}

internal sealed class AttemptEntry
{
    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? Worker { get; set; }

    public string? Outcome { get; set; }

    public string? Error { get; set; }

    public int? ExitCode { get; set; }

    public long? RunMicros { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Dictionary<string, AttemptEntry>))]
internal sealed partial class AttemptLogJsonContext : JsonSerializerContext;
