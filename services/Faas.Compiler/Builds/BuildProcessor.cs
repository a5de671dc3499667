using System.Collections.Concurrent;
using System.Diagnostics;
using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Queues;
using Faas.Storage.Model;
using Faas.Storage.Postgres;
using Faas.Wasm.Engines;
using Microsoft.Extensions.Options;
using ToolchainDiagnostic = Faas.Compiler.Toolchains.Builds.BuildDiagnostic;

namespace Faas.Compiler.Builds;

/// <summary>
/// Runs one delivery of a build: skips builds that are finished or gone, reuses the module of an identical
/// input (from the build cache, or a build of it already running here), otherwise compiles, stores the module
/// and its precompiled form content-addressed, records the outcome with the version, and tells the mesh that
/// the function changed. Infrastructure failures (database, Redis) are thrown so the delivery is retried;
/// a compiler's failure is an outcome.
/// </summary>
public sealed partial class BuildProcessor(
    BuildStore builds,
    ArtifactStore artifacts,
    FunctionBuilder builder,
    FunctionChangeNotifier notifier,
    CompilerTelemetry telemetry,
    TimeProvider timeProvider,
    IOptions<BuildServiceOptions> options,
    ILogger<BuildProcessor> logger)
{
    /// <summary>Builds running in this process by input digest: identical deploys at once share one compile.</summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<(BuildOutcome Outcome, string Result)>>> running = new(StringComparer.Ordinal);

    /// <param name="attempt">The delivery's number (1 for the first).</param>
    public async Task ProcessAsync(BuildTicket ticket, int attempt, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(ticket.TraceParent, null, out var parent);
        using var activity = CompilerTelemetry.Source.StartActivity("build", ActivityKind.Consumer, parent);
        activity?.SetTag("faas.function_id", ticket.FunctionId.ToString());
        activity?.SetTag("faas.version", ticket.Version);

        var build = await builds.GetAsync(ticket.FunctionId, ticket.Version, cancellationToken).ConfigureAwait(false);
        if (build is null || build.State is BuildState.Succeeded or BuildState.Failed)
        {
            LogNothingToDo(logger, ticket.FunctionId, ticket.Version);
            return;
        }

        activity?.SetTag("faas.function", build.FunctionName);
        activity?.SetTag("faas.language", build.Language);
        if (attempt > options.Value.MaxAttempts)
        {
            var gaveUp = Failed($"The build was started {attempt - 1} times and never finished (the compiler stopped each time); it is not tried again.");
            await CompleteAsync(build, gaveUp, "abandoned", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (!await builds.StartAsync(build.FunctionId, build.Version, cancellationToken).ConfigureAwait(false)
            || await builds.GetSourcesAsync(build.FunctionId, build.Version, cancellationToken).ConfigureAwait(false) is not { } sources)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        telemetry.Started(timeProvider.GetUtcNow() - build.QueuedAt);
        LogBuilding(logger, build.FunctionName, build.Version, build.Language, sources.Count, attempt);
        BuildOutcome outcome;
        string result;
        try
        {
            (outcome, result) = SourceLanguageNames.TryParse(build.Language, out var language)
                ? await BuildOrReuseAsync(language, sources, build, cancellationToken).ConfigureAwait(false)
                : (Failed($"Language '{build.Language}' cannot be built."), "invalid");
        }
        catch
        {
            telemetry.Finished(build.Language, "error", Stopwatch.GetElapsedTime(started));
            telemetry.Stopped();
            throw;
        }

        try
        {
            await CompleteAsync(build, outcome, result, Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            telemetry.Stopped();
        }
    }

    private async Task CompleteAsync(BuildRecord build, BuildOutcome outcome, string result, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        await builds.CompleteAsync(build.FunctionId, build.Version, outcome, cancellationToken).ConfigureAwait(false);
        await notifier.PublishAsync(build.TenantId, build.FunctionName).ConfigureAwait(false);
        telemetry.Finished(build.Language, result, elapsed);
        Activity.Current?.SetTag("faas.build.outcome", result);
        if (outcome.Succeeded)
        {
            LogBuilt(logger, build.FunctionName, build.Version, outcome.ModuleSha256!, outcome.CacheHit, elapsed.TotalMilliseconds);
        }
        else
        {
            Activity.Current?.SetStatus(ActivityStatusCode.Error, outcome.Error);
            LogBuildFailed(logger, build.FunctionName, build.Version, result, outcome.Error);
        }
    }

    private async Task<(BuildOutcome Outcome, string Result)> BuildOrReuseAsync(
        SourceLanguage language, IReadOnlyDictionary<string, string> sources, BuildRecord build, CancellationToken cancellationToken)
    {
        if (await builds.FindOutputAsync(build.SourceSha256, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            return (new BuildOutcome(cached, CacheHit: true, "", [], "", ""), "cache_hit");
        }

        var mine = new Lazy<Task<(BuildOutcome, string)>>(() => BuildNewAsync(language, sources, build, cancellationToken));
        var shared = running.GetOrAdd(build.SourceSha256, mine);
        try
        {
            var (outcome, result) = await shared.Value.ConfigureAwait(false);
            return ReferenceEquals(shared, mine) || !outcome.Succeeded ? (outcome, result) : (outcome with { CacheHit = true }, "cache_hit");
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
            {
                running.TryRemove(KeyValuePair.Create(build.SourceSha256, mine));
            }
        }
    }

    private async Task<(BuildOutcome Outcome, string Result)> BuildNewAsync(
        SourceLanguage language, IReadOnlyDictionary<string, string> sources, BuildRecord build, CancellationToken cancellationToken)
    {
        var result = await builder.BuildAsync(
            language, sources, new BuildOptions { EntryFile = build.EntryFile, Precompile = true }, cancellationToken).ConfigureAwait(false);
        var diagnostics = result.Diagnostics.Select(ToStored).ToArray();
        var toolchain = result.ToolchainVersion ?? "";
        if (!result.Succeeded)
        {
            return (new BuildOutcome(null, CacheHit: false, result.Error ?? result.Status.ToString(), diagnostics, result.Log, toolchain), ResultOf(result.Status));
        }

        var moduleSha256 = await artifacts.PutAsync(result.Wasm!, cancellationToken).ConfigureAwait(false);
        if (result.Precompiled is { } precompiled)
        {
            await artifacts.PutPrecompiledAsync(moduleSha256, WasmEngineFactory.Fingerprint, precompiled, cancellationToken).ConfigureAwait(false);
        }

        await builds.PutOutputAsync(build.SourceSha256, moduleSha256, toolchain, cancellationToken).ConfigureAwait(false);
        return (new BuildOutcome(moduleSha256, CacheHit: false, "", diagnostics, result.Log, toolchain), "succeeded");
    }

    private static BuildOutcome Failed(string error) => new(null, CacheHit: false, error, [], "", "");

    /// <summary>The outcome tag of metrics and traces.</summary>
    private static string ResultOf(BuildStatus status) => status switch
    {
        BuildStatus.TimedOut => "timed_out",
        BuildStatus.ToolchainUnavailable => "toolchain_unavailable",
        BuildStatus.InvalidSources => "invalid",
        BuildStatus.ModuleTooLarge or BuildStatus.InvalidModule => "invalid_module",
        _ => "failed",
    };

    private static SourceDiagnostic ToStored(ToolchainDiagnostic diagnostic) => new(
        diagnostic.File, diagnostic.Line, diagnostic.Column, diagnostic.Severity.ToString().ToLowerInvariant(), diagnostic.Message);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Building {Function} version {Version} ({Language}, {Files} files, attempt {Attempt})")]
    private static partial void LogBuilding(ILogger logger, string function, int version, string language, int files, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Built {Function} version {Version}: module {Sha256} (cache hit: {CacheHit}) in {ElapsedMs:F0} ms")]
    private static partial void LogBuilt(ILogger logger, string function, int version, string sha256, bool cacheHit, double elapsedMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Build of {Function} version {Version} failed ({Result}): {Error}")]
    private static partial void LogBuildFailed(ILogger logger, string function, int version, string result, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Build of {FunctionId} version {Version} is finished or gone; nothing to do")]
    private static partial void LogNothingToDo(ILogger logger, Guid functionId, int version);
}
