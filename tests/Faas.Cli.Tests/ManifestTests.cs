
namespace Faas.Cli.Tests;

/// <summary>faas.yaml as the CLI reads it: config in the API's terms, env, secret references, and what it refuses.</summary>
public sealed class ManifestTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("faas-manifest-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(folder, Manifest.FileName);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Reads_functions_with_config_env_and_secret_references()
    {
        Environment.SetEnvironmentVariable("FAAS_MANIFEST_TEST_SECRET", "from-the-environment");
        File.WriteAllText(Path.Combine(folder, "key.txt"), "from-a-file\n");
        var path = Write("""
            functions:
              - name: api
                language: rust
                source: src/api.rs
                entry: main.rs
                description: The API
                config:
                  timeoutMs: 5000
                  idempotent: true
                  http:
                    public: true
                env:
                  PORT: 8080
                  MODE: "fast"
                secrets:
                  TOKEN: ${env:FAAS_MANIFEST_TEST_SECRET}
                  KEY: ${file:key.txt}
              - name: echo
                source: echo.c
            """);

        var functions = Manifest.Load(path);

        Assert.Equal(2, functions.Count);
        var api = functions[0];
        Assert.Equal(("api", "rust", Path.Combine(folder, "src", "api.rs"), "main.rs", "The API"), (api.Name, api.Language, api.Path, api.Entry, api.Description));
        Assert.Equal(5000u, api.Config.TimeoutMs);
        Assert.True(api.Config.Idempotent);
        Assert.True(api.Config.Http.Public);
        Assert.Equal("8080", api.Config.Env["PORT"]);
        Assert.Equal("fast", api.Config.Env["MODE"]);
        Assert.Equal("from-the-environment", api.Config.Secrets["TOKEN"]);
        Assert.Equal("from-a-file", api.Config.Secrets["KEY"]);
        Assert.Null(functions[1].Language);
        Assert.Null(functions[1].Config.Http);
    }

    [Theory]
    [InlineData("functions:\n  - name: a\n    source: a.c\n    secrets:\n      TOKEN: literally-the-secret\n", "must be a reference")]
    [InlineData("functions:\n  - name: a\n    source: a.c\n    secrets:\n      TOKEN: ${env:FAAS_SURELY_NOT_SET_ANYWHERE}\n", "not set")]
    [InlineData("functions:\n  - source: a.c\n", "needs a name")]
    [InlineData("functions:\n  - name: a\n", "needs a source")]
    [InlineData("functions:\n  - name: a\n    source: a.c\n    sauce: b.c\n", "unknown field 'sauce'")]
    [InlineData("functions:\n  - name: a\n    source: a.c\n  - name: a\n    source: b.c\n", "listed twice")]
    [InlineData("functions:\n  - name: a\n    source: a.c\n    config:\n      timeoutMS: 5\n", "not valid")]
    [InlineData("name: a\n", "under 'functions:'")]
    [InlineData("functions: [\n", "faas.yaml:")]
    public void Refuses_what_it_cannot_deploy_as_written_naming_the_problem(string yaml, string expected)
    {
        var error = Assert.Throws<CliException>(() => Manifest.Load(Write(yaml)));

        Assert.Contains(expected, error.Message);
        Assert.Equal(ExitCodes.Usage, error.ExitCode);
    }
}
