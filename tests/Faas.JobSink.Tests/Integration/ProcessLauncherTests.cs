using System.Text;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Processes;
using Faas.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// The operator-only process launcher: the NativeAOT job runner as a plain child process, with the
/// precompiled module already in the launcher's cache (so no artifact store is reached).
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProcessLauncherTests : IDisposable
{
    private readonly string state = Path.Combine(Path.GetTempPath(), "faas-process-launcher-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(state, recursive: true);

    [Fact]
    public async Task Runs_the_function_in_a_fresh_one_shot_process_and_leaves_no_folder()
    {
        var (launcher, sha) = await LauncherWithAsync("echo");

        var run = await launcher.RunAsync(Invocation(sha, "hello", timeoutMs: 10_000), null, CancellationToken.None);

        Assert.Equal(ExecutionOutcome.Ok, run.Outcome);
        Assert.Equal("hello", Encoding.UTF8.GetString(run.Output.Span));
        Assert.StartsWith("job:faas-job-", run.Container);
        Assert.Empty(Directory.GetDirectories(Path.Combine(state, "bundles")));
    }

    [Fact]
    public async Task Infinite_loop_is_timed_out_by_the_runtime()
    {
        var (launcher, sha) = await LauncherWithAsync("spin");

        var run = await launcher.RunAsync(Invocation(sha, "", timeoutMs: 300), null, CancellationToken.None);

        Assert.Equal(ExecutionOutcome.Timeout, run.Outcome);
    }

    [Fact]
    public async Task Says_it_runs_without_isolation()
    {
        var (launcher, _) = await LauncherWithAsync("echo");

        var status = await launcher.GetStatusAsync(CancellationToken.None);

        Assert.True(status.Available);
        Assert.Contains("WITHOUT container isolation", status.Description);
    }

    private async Task<(ProcessJobLauncher Launcher, string Sha)> LauncherWithAsync(string sample)
    {
        var build = await JobRunnerFixture.GetAsync();
        var options = Options.Create(new JobOptions { Launcher = JobLauncherKind.Process, RunnerDirectory = build.OutputDirectory, StateDirectory = state });
        // The artifact store is never reached: the module is already precompiled where the launcher looks.
        var modules = new JobModules(new ArtifactStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1")), options, NullLogger<JobModules>.Instance);
        var wat = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Functions", sample + ".wat"));
        var sha = ArtifactStore.Hash(Wasmtime.Module.ConvertText(wat));
        using var engine = WasmEngineFactory.CreateForCompilation();
        using var module = Wasmtime.Module.FromText(engine, sample, wat);
        Directory.CreateDirectory(Path.GetDirectoryName(modules.PathOf(sha))!);
        await File.WriteAllBytesAsync(modules.PathOf(sha), module.Serialize());
        return (new ProcessJobLauncher(new JobRunnerBinary(options), modules, options), sha);
    }

    private static JobInvocation Invocation(string sha, string payload, int timeoutMs) => new()
    {
        ExecutionId = Guid.CreateVersion7().ToString(),
        FunctionName = "sample",
        ModuleSha256 = sha,
        TimeoutMs = timeoutMs,
        MemoryMb = 16,
        Payload = Encoding.UTF8.GetBytes(payload),
    };
}
