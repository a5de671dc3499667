using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Oci;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Tests.Integration;

/// <summary>runc as the tests use it: the real binary, container ids with a per-run prefix, and checks that none is left.</summary>
public static class Containers
{
    /// <summary>Prefix of every container this test run creates.</summary>
    public static readonly string Prefix = $"faas-test-{Guid.NewGuid().ToString("N")[..6]}-";

    /// <summary>Containers of the whole-mesh tests.</summary>
    public static readonly string MeshPrefix = Prefix + "m-";

    /// <summary>Containers of the isolation tests, which run beside the mesh tests.</summary>
    public static readonly string IsolationPrefix = Prefix + "i-";

    public static Runc Runc { get; } = new(Options.Create(new JobOptions()));

    public static string RuncPath =>
        Runc.Locate() ?? throw new InvalidOperationException("runc is not installed (Debian package `runc`; .ci/run installs it): JOB mode tests run real containers.");

    /// <summary>
    /// Ids of this run's containers that ran an invocation (or are running one) and are still there: every container
    /// but those prepared for an invocation to come, which runc lists as <c>created</c> until they are started.
    /// </summary>
    public static async Task<IReadOnlyList<string>> StartedAsync(string prefix) =>
        [.. (await ListAsync()).Where(c => c.Id.StartsWith(prefix, StringComparison.Ordinal) && c.Status != "created").Select(c => c.Id)];

    /// <summary>
    /// Every container runc knows, with its status (<c>runc list --format json</c>). runc fails a listing that meets a
    /// container being removed at that moment ("container does not exist"), so a failed listing is tried again.
    /// </summary>
    private static async Task<IReadOnlyList<(string Id, string Status)>> ListAsync()
    {
        var error = "";
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var (exitCode, output, stderr) = await Runc.RunAsync(RuncPath, CancellationToken.None, "list", "--format", "json");
            if (exitCode == 0)
            {
                using var json = System.Text.Json.JsonDocument.Parse(string.IsNullOrWhiteSpace(output) || output.Trim() == "null" ? "[]" : output);
                return [.. json.RootElement.EnumerateArray().Select(c => (c.GetProperty("id").GetString()!, c.GetProperty("status").GetString()!))];
            }

            error = stderr;
            await Task.Delay(50);
        }

        throw new InvalidOperationException($"runc list: {error}");
    }

    /// <summary>
    /// Ids of this run's containers (those starting with <paramref name="prefix"/>) that have a cgroup folder in any
    /// hierarchy under <c>/sys/fs/cgroup</c>: a container removed has none left.
    /// </summary>
    public static IReadOnlyList<string> WithCgroups(string prefix) =>
        [.. Directory.EnumerateDirectories("/sys/fs/cgroup", prefix + "*", new EnumerationOptions
            {
                RecurseSubdirectories = true,
                IgnoreInaccessible = true,
                AttributesToSkip = FileAttributes.ReparsePoint,
            })
            .Select(Path.GetFileName).OfType<string>().Distinct(StringComparer.Ordinal)];

    /// <summary>Ids of this run's containers (those starting with <paramref name="prefix"/>) that runc still knows.</summary>
    public static async Task<IReadOnlyList<string>> LeftAsync(string prefix) =>
        [.. (await ListAsync()).Select(c => c.Id).Where(id => id.StartsWith(prefix, StringComparison.Ordinal))];
}
