using System.Diagnostics;
using Faas.Bench.Load;
using Faas.AppHost.Jobs;
using Faas.Testing;
using Faas.Protos.V1;
using Faas.JobSink.Jobs.Oci;
using Google.Api;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Faas.Bench;

/// <summary>
/// JOB-mode invocation (a fresh runc container running the NativeAOT job runner per call) through the
/// whole mesh, over gRPC and REST, against the floor measured in the same run: <c>runc run</c> of
/// <c>/bin/true</c> with the same container spec (namespaces, read-only root, mounts, limits).
/// </summary>
public static class JobBenchmark
{
    private const string FunctionName = "bench-job-echo";

    /// <summary>Time between calls in the paced scenarios.</summary>
    private static readonly TimeSpan PacedPause = TimeSpan.FromMilliseconds(250);

    /// <summary>JOB-mode calls through the mesh before any scenario, discarded.</summary>
    private static readonly TimeSpan MeshWarmup = TimeSpan.FromSeconds(30);

    public static async Task RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        AnsiConsole.MarkupLine("[grey]Publishing the job runner if needed…[/]");
        await JobRunnerPublish.EnsurePublishedAsync(
            FaasTestingBuilder.JobRunnerBinary, cancellationToken);
        AnsiConsole.MarkupLine($"[grey]Starting the mesh with {options.Workers} worker(s)…[/]");
        await using var app = await BenchMesh.CreateAsync(options, o => o.Workers = options.Workers);
        await app.StartAsync(cancellationToken);

        using var gateway = app.CreateGatewayChannel();
        using var rest = app.CreateHttpClient("gateway", "http");
        await BenchFunctions.DeployEchoAsync(gateway, FunctionName, new FunctionConfig { Mode = ExecutionMode.Job, MemoryMb = 32, MaxConcurrency = 64 }, cancellationToken);

        var bytes = new byte[options.PayloadBytes];
        Random.Shared.NextBytes(bytes);
        var payload = ByteString.CopyFrom(bytes);
        var invocations = new Invocations.InvocationsClient(gateway);
        using var floor = await RuncFloor.CreateAsync(Path.Combine(app.StateDirectory, "bench-floor"), cancellationToken);

        var scenarios = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            ("floor: runc run /bin/true", floor.RunAsync),
            ("job: mesh gRPC", async ct =>
            {
                var body = await invocations.InvokeAsync(new InvokeRequest { Name = FunctionName, Body = new HttpBody { Data = payload } }, cancellationToken: ct);
                ResultTable.Check(body.Data.Length == bytes.Length, "job gRPC");
            }),
            ("job: mesh REST", async ct =>
            {
                using var response = await rest.PostAsync($"/v1/functions/{FunctionName}:invoke", new ByteArrayContent(bytes), ct);
                var output = await response.Content.ReadAsByteArrayAsync(ct);
                ResultTable.Check(response.IsSuccessStatusCode && output.Length == bytes.Length, "job REST");
            }),
        };

        // The services' first JOB-mode calls run unoptimised code and pay for the JIT compiling the optimised one: at a
        // few calls a second that takes longer than one scenario's warm-up, and the first scenario measured it. The mesh
        // is warmed once, on both protocols, before anything is measured.
        AnsiConsole.MarkupLine($"[grey]Warming the mesh up for {MeshWarmup.TotalSeconds:0} s…[/]");
        var jobCalls = scenarios.Where(s => s.Name.StartsWith("job", StringComparison.Ordinal)).Select(s => s.Call).ToArray();
        var turn = 0;
        await LoadRunner.RunAsync("mesh warm-up", 1, TimeSpan.Zero, MeshWarmup, ct => jobCalls[Interlocked.Increment(ref turn) % jobCalls.Length](ct), cancellationToken);

        var results = new List<LoadResult>();
        foreach (var concurrency in options.Concurrency)
        {
            foreach (var (name, call) in scenarios)
            {
                await SettleAsync(cancellationToken);
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(name)} at concurrency {concurrency}…[/]");
                results.Add(await LoadRunner.RunAsync(name, concurrency, options.Warmup, options.Duration, call, cancellationToken));
            }
        }

        // Back to back, every call waits for a container to be created (the pool is refilled no faster than runc creates);
        // with a pause between calls, as JOB-mode traffic usually comes, each finds one prepared.
        foreach (var (name, call) in scenarios)
        {
            var paced = $"{name}, {PacedPause.TotalMilliseconds:0} ms apart";
            await SettleAsync(cancellationToken);
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(paced)}…[/]");
            results.Add(await LoadRunner.RunAsync(paced, 1, options.Warmup, options.Duration, call, cancellationToken, PacedPause));
        }

        var (table, markdown) = ResultTable.Render(results, "calls");
        AnsiConsole.Write(table);
        AnsiConsole.WriteLine();
        foreach (var concurrency in options.Concurrency)
        {
            var runcFloor = results.Single(r => r.Concurrency == concurrency && r.Scenario.StartsWith("floor", StringComparison.Ordinal) && !r.Scenario.EndsWith("apart", StringComparison.Ordinal));
            foreach (var job in results.Where(r => r.Concurrency == concurrency && r.Scenario.StartsWith("job", StringComparison.Ordinal) && !r.Scenario.EndsWith("apart", StringComparison.Ordinal)))
            {
                var line = $"{job.Scenario} at concurrency {concurrency}: p50 {job.PercentileMillis(50):0.0} ms ({job.PercentileMillis(50) / runcFloor.PercentileMillis(50):0.00}× the floor's {runcFloor.PercentileMillis(50):0.0} ms; target < 100 ms), "
                    + $"p99 {job.PercentileMillis(99):0.0} ms ({job.PercentileMillis(99) / runcFloor.PercentileMillis(99):0.00}× the floor's {runcFloor.PercentileMillis(99):0.0} ms)";
                AnsiConsole.WriteLine(line);
                markdown.AppendLine().Append(line).AppendLine();
            }
        }

        var pacedFloor = results.Single(r => r.Scenario.StartsWith("floor", StringComparison.Ordinal) && r.Scenario.EndsWith("apart", StringComparison.Ordinal));
        foreach (var job in results.Where(r => r.Scenario.StartsWith("job", StringComparison.Ordinal) && r.Scenario.EndsWith("apart", StringComparison.Ordinal)))
        {
            var line = $"{job.Scenario}: p50 {job.PercentileMillis(50):0.0} ms ({job.PercentileMillis(50) / pacedFloor.PercentileMillis(50):0.00}× the floor's {pacedFloor.PercentileMillis(50):0.0} ms; target < 100 ms), "
                + $"p99 {job.PercentileMillis(99):0.0} ms ({job.PercentileMillis(99) / pacedFloor.PercentileMillis(99):0.00}× the floor's {pacedFloor.PercentileMillis(99):0.0} ms)";
            AnsiConsole.WriteLine(line);
            markdown.AppendLine().Append(line).AppendLine();
        }

        if (options.MarkdownPath is { } path)
        {
            await File.WriteAllTextAsync(path, markdown.ToString(), cancellationToken);
            AnsiConsole.MarkupLine($"[grey]Markdown written to {Markup.Escape(path)}[/]");
        }
    }

    /// <summary>
    /// Each scenario starts on a quiet machine: after hundreds of containers the kernel goes on tearing down their cgroups
    /// and namespaces for a moment, and no scenario should pay for the one before it.
    /// </summary>
    private static async Task SettleAsync(CancellationToken cancellationToken)
    {
        var (waited, busy) = await MachineIdle.WaitAsync(TimeSpan.FromSeconds(1), 0.10, TimeSpan.FromSeconds(60), cancellationToken);
        AnsiConsole.MarkupLine($"[grey]Machine quiet after {waited.TotalSeconds:0} s ({busy:P0} busy).[/]");
    }

    /// <summary><c>runc run</c> of <c>/bin/true</c> in a container built from the same spec as a job's.</summary>
    private sealed class RuncFloor : IDisposable
    {
        private readonly string root;
        private readonly Runc runc = new(Options.Create(new JobSink.Jobs.JobOptions()));
        private readonly string runcPath;

        private RuncFloor(string root)
        {
            this.root = root;
            runcPath = runc.Locate() ?? throw new InvalidOperationException("runc is not installed.");
        }

        public static async Task<RuncFloor> CreateAsync(string root, CancellationToken cancellationToken)
        {
            var floor = new RuncFloor(root);
            var image = Path.Combine(root, "image");
            foreach (var folder in new[] { "bin", "proc", "dev", "job" })
            {
                Directory.CreateDirectory(Path.Combine(image, folder));
            }

            File.Copy("/bin/true", Path.Combine(image, "bin", "true"));
            using var ldd = Process.Start(new ProcessStartInfo("ldd", "/bin/true") { RedirectStandardOutput = true })!;
            var output = await ldd.StandardOutput.ReadToEndAsync(cancellationToken);
            await ldd.WaitForExitAsync(cancellationToken);
            foreach (var library in OciRuntimeImage.ParseLdd(output))
            {
                var target = Path.Combine(image, library.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(library, target, overwrite: true);
            }

            return floor;
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            var id = "faas-bench-" + Guid.NewGuid().ToString("N")[..16];
            var bundle = Path.Combine(root, "bundles", id);
            var job = Path.Combine(bundle, "job");
            Directory.CreateDirectory(job);
            var module = Path.Combine(job, "module.cwasm");
            await File.WriteAllBytesAsync(module, [], cancellationToken);
            var spec = OciSpec.Build(new OciSpecInput
            {
                ContainerId = id,
                RootFileSystem = Path.Combine(root, "image"),
                JobFolder = job,
                ModuleFile = module,
                MemoryLimitBytes = OciSpec.MemoryLimitBytes(32, 64),
                CpuLimit = 1,
                PidsLimit = 32,
                Args = ["/bin/true"],
            });
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), cancellationToken);
            try
            {
                var (exitCode, _, error) = await runc.RunAsync(runcPath, cancellationToken, "run", "--bundle", bundle, "--no-new-keyring", id);
                ResultTable.Check(exitCode == 0, "floor: " + error);
            }
            finally
            {
                Directory.Delete(bundle, recursive: true);
            }
        }

        public void Dispose() => Directory.Delete(root, recursive: true);
    }
}
