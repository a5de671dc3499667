using System.ComponentModel;
using System.Diagnostics;
using Faas.Compiler.Toolchains.Diagnostics;
using Faas.Compiler.Toolchains.Languages;
using Faas.Compiler.Toolchains.Options;
using Faas.Compiler.Toolchains.Sandbox;
using Faas.Wasm.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Faas.Compiler.Toolchains.Builds;

/// <summary>
/// Turns source files into a function module: checks the files, writes them to a fresh scratch directory
/// (deleted afterwards whatever happens), runs the language's compiler sandboxed and time-limited, parses
/// its diagnostics, and validates the module against the function contract. Thread-safe.
/// </summary>
public sealed class FunctionBuilder(
    ToolchainDetector detector, FunctionModuleValidator validator, IOptions<CompilerOptions> options, ILogger<FunctionBuilder> logger)
{
    /// <summary>The module's path inside the scratch directory; source names cannot start with '.', so it never collides.</summary>
    private const string OutputFile = ".faas-out/function.wasm";

    private readonly CompilerOptions options = options.Value;

    /// <param name="sources">File name (relative, '/'-separated) to content.</param>
    public async Task<BuildResult> BuildAsync(
        SourceLanguage language, IReadOnlyDictionary<string, string> sources, BuildOptions? buildOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        buildOptions ??= BuildOptions.Default;
        var started = Stopwatch.GetTimestamp();
        var result = await BuildCoreAsync(language, sources, buildOptions, cancellationToken).ConfigureAwait(false);
        result = result with { Elapsed = Stopwatch.GetElapsedTime(started) };
        if (result.Succeeded)
        {
            Log.BuildSucceeded(logger, language.ToName(), result.Wasm!.Length, result.Elapsed.TotalMilliseconds);
        }
        else
        {
            Log.BuildFailed(logger, language.ToName(), result.Status.ToString(), result.Elapsed.TotalMilliseconds, result.Error);
        }

        return result;
    }

    private async Task<BuildResult> BuildCoreAsync(
        SourceLanguage language, IReadOnlyDictionary<string, string> sources, BuildOptions buildOptions, CancellationToken cancellationToken)
    {
        if (SourceSetValidator.Validate(sources, options) is { } invalid)
        {
            return BuildResult.Failed(BuildStatus.InvalidSources, invalid.Message);
        }

        var inventory = await detector.GetInventoryAsync(cancellationToken).ConfigureAwait(false);
        var report = inventory[language];
        if (!report.IsAvailable)
        {
            return BuildResult.Failed(BuildStatus.ToolchainUnavailable, report.Describe());
        }

        var toolchain = detector.Toolchains[language];
        var command = toolchain.Plan(sources.Keys.ToArray(), buildOptions, OutputFile);
        if (command.Error is { } planError)
        {
            return BuildResult.Failed(BuildStatus.InvalidSources, planError);
        }

        var timeout = buildOptions.Timeout is { } requested && requested < options.BuildTimeout ? requested : options.BuildTimeout;
        using var scratch = ScratchDirectory.Create(options.ScratchRoot);
        await WriteSourcesAsync(scratch.Path, sources, cancellationToken).ConfigureAwait(false);
        await WriteSourcesAsync(scratch.Path, command.SupportFiles, cancellationToken).ConfigureAwait(false);
        detector.Sandbox.HandOver(scratch.Path);

        var parser = new DiagnosticParser();
        ProcessOutcome outcome;
        try
        {
            outcome = await new SandboxedProcess(detector.Sandbox, ResourceLimits.From(options), command.ReadOnlyFolders)
                .RunAsync(command.FileName, command.Arguments, scratch.Path, timeout, options.MaxLogBytes, parser.Read, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Win32Exception exception)
        {
            // Uninstalled since start-up detection.
            return BuildResult.Failed(BuildStatus.ToolchainUnavailable, $"Could not start the {language.ToName()} compiler: {exception.Message}. {report.Describe()}");
        }

        var diagnostics = parser.Complete();
        var failed = new BuildResult { Status = BuildStatus.CompileFailed, Diagnostics = diagnostics, Log = outcome.Log, ToolchainVersion = report.Version };

        if (outcome.TimedOut)
        {
            return failed with { Status = BuildStatus.TimedOut, Error = $"The build exceeded its time limit of {timeout.TotalSeconds:0.###} s and was stopped." };
        }

        var output = Path.Combine(scratch.Path, OutputFile);
        if (outcome.ExitCode != 0 && RanOutOfMemory(outcome.Log))
        {
            return failed with { Error = $"The {language.ToName()} compiler ran out of memory: a build may use {options.MaxMemoryBytes / (1024 * 1024)} MiB (Compiler:MaxMemoryBytes)." };
        }

        if (IsReplacedByLink(scratch.Path, output))
        {
            // The build owned its scratch directory and could have put a link where the module goes: this
            // service reads it outside the sandbox, so it must never follow one.
            return failed with { Error = "The build left a symbolic link where the module goes; the module must be a regular file." };
        }

        if (outcome.ExitCode != 0 || !File.Exists(output))
        {
            var errors = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
            return failed with { Error = $"The {language.ToName()} compiler failed (exit code {outcome.ExitCode}) with {errors} error(s)." };
        }

        var size = new FileInfo(output).Length;
        if (size == 0)
        {
            // Also what a FIFO left in the module's place looks like: never open one (it would block).
            return failed with { Status = BuildStatus.InvalidModule, Error = "The compiler produced an empty module." };
        }

        if (size > options.MaxModuleBytes)
        {
            return failed with { Status = BuildStatus.ModuleTooLarge, Error = $"The module has {size} bytes, more than the limit of {options.MaxModuleBytes}." };
        }

        var wasm = await File.ReadAllBytesAsync(output, cancellationToken).ConfigureAwait(false);
        var validation = validator.Validate(wasm, buildOptions.Precompile);
        if (!validation.IsValid)
        {
            return failed with { Status = BuildStatus.InvalidModule, Error = validation.Error };
        }

        return new BuildResult { Status = BuildStatus.Succeeded, Wasm = wasm, Precompiled = validation.Precompiled, Diagnostics = diagnostics, Log = outcome.Log, ToolchainVersion = report.Version };
    }

    /// <summary>
    /// Whether the output, or a folder between it and the scratch directory, is a link. Every process of the
    /// build is gone by now (its PID namespace died with it), so nothing can swap the file after this check.
    /// </summary>
    private static bool IsReplacedByLink(string scratch, string output)
    {
        for (var path = output; path.Length > scratch.Length; path = Path.GetDirectoryName(path)!)
        {
            if (new FileInfo(path).LinkTarget is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How clang/LLVM, rustc and Node.js say that an allocation failed (the sandbox's memory limit).</summary>
    private static bool RanOutOfMemory(string log) =>
        log.Contains("LLVM ERROR: out of memory", StringComparison.Ordinal)
        || log.Contains("memory allocation of", StringComparison.Ordinal)
        || log.Contains("std::bad_alloc", StringComparison.Ordinal)
        || log.Contains("heap out of memory", StringComparison.Ordinal);

    private static async Task WriteSourcesAsync(string root, IReadOnlyDictionary<string, string> sources, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(root, Path.GetDirectoryName(OutputFile)!));
        foreach (var (name, content) in sources)
        {
            var path = Path.GetFullPath(Path.Combine(root, name));
            if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Source `{name}` escapes the scratch directory."); // unreachable after validation
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, content ?? "", cancellationToken).ConfigureAwait(false);
        }
    }
}
