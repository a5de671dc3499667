using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Queues;
using Faas.Storage.Model;
using Faas.Wasm.Engines;

namespace Faas.Compiler.Tests.Service;

[Collection(BuildServiceCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BuildProcessorTests(BuildServiceFixture fixture)
{
    [Fact]
    public async Task A_queued_build_is_built_stored_with_its_precompiled_artifact_recorded_and_announced()
    {
        var version = await AddAsync(Echo());
        var announced = await SubscribeAsync(version.FunctionName);

        await fixture.CreateProcessor().ProcessAsync(Ticket(version), 1, CancellationToken.None);

        var built = await fixture.Functions.GetVersionAsync(Tenants.Default, version.FunctionName, 1, CancellationToken.None);
        Assert.Equal(VersionState.Ready, built!.State);
        Assert.NotNull(await fixture.Artifacts.GetWasmAsync(built.ModuleSha256!, CancellationToken.None));
        Assert.NotNull(await fixture.Artifacts.GetPrecompiledAsync(built.ModuleSha256!, WasmEngineFactory.Fingerprint, CancellationToken.None));
        var build = await fixture.Builds.GetAsync(version.FunctionId, 1, CancellationToken.None);
        Assert.Equal((BuildState.Succeeded, false, 1), (build!.State, build.CacheHit, build.Attempts));
        await announced.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_redelivered_finished_build_is_not_built_again()
    {
        var version = await AddAsync(Echo());
        var processor = fixture.CreateProcessor();
        await processor.ProcessAsync(Ticket(version), 1, CancellationToken.None);

        await processor.ProcessAsync(Ticket(version), 2, CancellationToken.None);

        var build = await fixture.Builds.GetAsync(version.FunctionId, 1, CancellationToken.None);
        Assert.Equal((BuildState.Succeeded, 1), (build!.State, build.Attempts));
    }

    [Fact]
    public async Task Identical_input_reuses_the_module_without_building()
    {
        var input = Echo();
        var first = await AddAsync(input);
        var processor = fixture.CreateProcessor();
        await processor.ProcessAsync(Ticket(first), 1, CancellationToken.None);
        var second = await AddAsync(input);

        await processor.ProcessAsync(Ticket(second), 1, CancellationToken.None);

        var build = await fixture.Builds.GetAsync(second.FunctionId, 1, CancellationToken.None);
        Assert.True(build!.CacheHit);
        Assert.Equal(
            (await fixture.Functions.GetVersionAsync(Tenants.Default, first.FunctionName, 1, CancellationToken.None))!.ModuleSha256,
            (await fixture.Functions.GetVersionAsync(Tenants.Default, second.FunctionName, 1, CancellationToken.None))!.ModuleSha256);
    }

    [Fact]
    public async Task A_build_delivered_more_often_than_allowed_fails_for_good()
    {
        var version = await AddAsync(Echo());

        await fixture.CreateProcessor().ProcessAsync(Ticket(version), fixture.Options.MaxAttempts + 1, CancellationToken.None);

        var failed = await fixture.Functions.GetVersionAsync(Tenants.Default, version.FunctionName, 1, CancellationToken.None);
        Assert.Equal(VersionState.BuildFailed, failed!.State);
        Assert.Contains("never finished", (await fixture.Builds.GetAsync(version.FunctionId, 1, CancellationToken.None))!.Error);
    }

    [Fact]
    public async Task A_language_the_compiler_cannot_build_fails_the_build_naming_it()
    {
        var version = await AddAsync(Input("cobol", "main.cob", "DISPLAY 'HI'."));

        await fixture.CreateProcessor().ProcessAsync(Ticket(version), 1, CancellationToken.None);

        var build = await fixture.Builds.GetAsync(version.FunctionId, 1, CancellationToken.None);
        Assert.Equal(BuildState.Failed, build!.State);
        Assert.Contains("cobol", build.Error);
    }

    [Fact]
    public async Task The_consumer_builds_what_the_queue_delivers_and_acks_it()
    {
        var version = await AddAsync(Echo());
        using var consumer = fixture.CreateConsumer(fixture.CreateProcessor());
        await consumer.StartAsync(CancellationToken.None);
        try
        {
            Assert.True(await fixture.Queue.EnqueueAsync(Ticket(version)));

            var deadline = DateTime.UtcNow.AddSeconds(60);
            FunctionVersion? current;
            do
            {
                await Task.Delay(50);
                current = await fixture.Functions.GetVersionAsync(Tenants.Default, version.FunctionName, 1, CancellationToken.None);
            }
            while (current!.State == VersionState.Building && DateTime.UtcNow < deadline);

            Assert.Equal(VersionState.Ready, current.State);
        }
        finally
        {
            await consumer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_build_whose_ticket_was_lost_is_queued_again_by_the_sweep()
    {
        var version = await AddAsync(Echo());
        var recovery = fixture.CreateRecovery(new ShiftedTimeProvider(fixture.Options.RecoveryInterval * 2));

        Assert.True(await recovery.RecoverAsync(CancellationToken.None) >= 1);

        Assert.False(await fixture.Queue.EnqueueAsync(Ticket(version)), "the sweep queued it already");
        await fixture.CreateProcessor().ProcessAsync(Ticket(version), 1, CancellationToken.None);
    }

    private static BuildTicket Ticket(FunctionVersion version) => new(version.FunctionId, version.Version);

    private async Task<FunctionVersion> AddAsync(BuildInput input) =>
        await fixture.Builds.AddVersionAsync(Tenants.Default, $"b-{Guid.NewGuid():N}"[..20], input, null, new FunctionConfig(), "", CancellationToken.None);

    private static BuildInput Echo() => Input("c", "echo.c", Samples.Echo("echo.c")["echo.c"] + $"\n// {Guid.NewGuid()}\n");

    private static BuildInput Input(string language, string file, string source)
    {
        var sources = new Dictionary<string, string> { [file] = source };
        var digest = SourceLanguageNames.TryParse(language, out var parsed)
            ? SourceDigest.Compute(parsed, sources)
            : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source)));
        return new BuildInput(language, sources, digest, null, source);
    }

    /// <summary>Completes (the returned task) when the mesh hears that <paramref name="name"/> changed.</summary>
    private async Task<Task> SubscribeAsync(string name)
    {
        var announced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await fixture.Notifier.SubscribeAsync((_, changed) =>
        {
            if (changed == name)
            {
                announced.TrySetResult();
            }
        });
        return announced.Task;
    }

    /// <summary>A clock ahead of the real one: builds queued just now look old to the sweep.</summary>
    private sealed class ShiftedTimeProvider(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + ahead;
    }
}
