namespace Faas.Bench;

public sealed record BenchOptions(TimeSpan Warmup, TimeSpan Duration, IReadOnlyList<int> Concurrency, int Workers, int PayloadBytes, string? MarkdownPath)
{
    /// <summary>Extra environment variables for every service of the mesh (<c>--service-env NAME=VALUE</c>), to measure a setting.</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Times every scenario is measured, one after the other in the same mesh (<c>--runs</c>), for medians and ranges.</summary>
    public int Runs { get; init; } = 1;

    public static IReadOnlyDictionary<string, string> ParseEnvironment(IEnumerable<string>? pairs)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--service-env takes NAME=VALUE, not '{pair}'.");
            }

            environment[pair[..equals]] = pair[(equals + 1)..];
        }

        return environment;
    }
}
