using System.Diagnostics;
using System.Net.Http.Json;
using Faas.EndToEnd.Tests.Auth;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// A self-registered tenant deploys source that reaches for the platform's own key files and the compiler's
/// environment, by absolute and by relative path, in each language. The build must not see them: nothing of
/// them comes back in the deploy's answer (error, diagnostics, log) or from invoking whatever was built.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Security")]
[Trait("Category", "Integration")]
public sealed class BuildIsolationTests(MeshFixture mesh) : IAsyncLifetime
{
    private TenantSession mallory = null!;

    public async Task InitializeAsync() => mallory = await TenantSession.RegisterAsync(mesh.App, "mallory");

    public Task DisposeAsync()
    {
        mallory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Source_that_includes_the_platforms_key_files_learns_nothing_of_them()
    {
        var state = mesh.App.State;
        var targets = new List<string> { state.AdminKeyFile, state.ServiceKeyFile, state.UserTokenKeyFile, state.SinkTokenKeyFile, state.WorkerCredentialFile };
        targets.AddRange(Directory.EnumerateFiles(state.DataProtectionKeys));
        targets.Add($"/proc/{CompilerPid()}/environ");
        // The same files as a build sees them from its scratch directory (<state>/builds/build-…).
        targets.AddRange(targets.Where(t => t.StartsWith(state.Root, StringComparison.Ordinal)).Select(t => "../.." + t[state.Root.Length..]).ToList());
        var secrets = Secrets(targets.Where(File.Exists)).Where(s => !targets.Any(t => t.Contains(s, StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(secrets);

        var attempt = 0;
        var leaks = new List<string>();
        foreach (var target in targets)
        {
            foreach (var (language, source) in Attacks(target))
            {
                var name = $"steal-{language}-{attempt++}";
                var answer = await DeployAsync(name, language, source);
                var invoked = await InvokeAsync(name);
                leaks.AddRange(secrets.Where(s => answer.Contains(s, StringComparison.Ordinal) || invoked.Contains(s, StringComparison.Ordinal))
                    .Select(s => $"{language} build of {target} leaked {s[..8]}…"));
                Assert.Contains("BUILD_FAILED", answer, StringComparison.Ordinal);
            }
        }

        Assert.Empty(leaks);
    }

    private static IEnumerable<(string Language, string Source)> Attacks(string path)
    {
        // clang's diagnostics quote what they could not parse: a key file included as code comes back in them.
        yield return ("c", $"#include \"{path}\"\nint main(void) {{ return 0; }}\n");
        yield return ("rust", $"fn main() {{ print!(\"{{}}\", String::from_utf8_lossy(include_bytes!(\"{path}\"))); }}\n");
    }

    private async Task<string> DeployAsync(string name, string language, string source)
    {
        using var response = await mallory.Rest.PostAsJsonAsync("/v1/functions?wait=true", new { name, language, source });
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<string> InvokeAsync(string name)
    {
        using var response = await mallory.Rest.PostAsync($"/v1/functions/{name}:invoke", new StringContent(""));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The distinctive pieces of each file: runs of 16 or more characters that are not markup or spaces.</summary>
    private static List<string> Secrets(IEnumerable<string> files) =>
        files.SelectMany(f => File.ReadAllText(f).Split([' ', '\n', '\r', '\t', '\0', '<', '>', '"', '=', '/'], StringSplitOptions.RemoveEmptyEntries))
            .Where(piece => piece.Length >= 16 && !piece.StartsWith("http", StringComparison.Ordinal))
            .Distinct()
            .ToList();

    private int CompilerPid() =>
        mesh.App.GetResource("compiler").Pid ?? throw new UnreachableException("The compiler has no process.");
}
