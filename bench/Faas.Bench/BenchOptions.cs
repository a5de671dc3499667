namespace Faas.Bench;

public sealed record BenchOptions(TimeSpan Warmup, TimeSpan Duration, IReadOnlyList<int> Concurrency, int Workers, int PayloadBytes, string? MarkdownPath)
{
    /// <summary>Extra environment variables for every service of the mesh (<c>--service-env NAME=VALUE</c>), to measure a setting.</summary>
    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Times every scenario is measured, one after the other in the same mesh (<c>--runs</c>), for medians and ranges.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>
    /// Settings of the second gateway (<c>--second-gateway-env NAME=VALUE</c>): it then takes the default path with them
    /// instead of the scheduler's, so a gateway setting is measured against the default in one mesh.
    /// </summary>
    public IReadOnlyDictionary<string, string> SecondGatewayEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Slices each scenario's measured period is cut into, the scenarios taking turns slice by slice (<c>--slices</c>), so
    /// that the floor and the meshes are measured under the same conditions of the machine. Each slice has its share of
    /// the warm-up too.
    /// </summary>
    public int Slices { get; init; } = 1;

    /// <summary>When not empty, only the scenarios whose names contain one of these (<c>--scenario</c>, repeatable) are measured.</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    /// <summary>Whether <paramref name="scenario"/> is measured under <see cref="Scenarios"/>.</summary>
    public bool Includes(string scenario) =>
        Scenarios.Count == 0 || Scenarios.Any(s => scenario.Contains(s, StringComparison.OrdinalIgnoreCase));

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
