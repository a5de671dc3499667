using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Languages;
using Faas.Gateway.Errors;
using Faas.Storage.Model;

namespace Faas.Gateway.Deployment;

/// <summary>
/// Turns a deploy in a compiled language into the build's input: its files (one named file, or an archive's,
/// checked for traversal, links, size and count before anything else happens) and the digest that identifies
/// the input for the build cache.
/// </summary>
public static class SourceSets
{
    /// <summary>The file a single <c>source</c> becomes when the deploy names none.</summary>
    public static string DefaultFileName(SourceLanguage language) => language switch
    {
        SourceLanguage.C => "function.c",
        SourceLanguage.Cpp => "function.cpp",
        SourceLanguage.Rust => "main.rs",
        SourceLanguage.AssemblyScript => "index.ts",
        _ => throw new ArgumentOutOfRangeException(nameof(language), language, null),
    };

    public static BuildInput ToBuildInput(DeployCommand command, SourceLimits limits)
    {
        if (!SourceLanguageNames.TryParse(command.Language, out var language))
        {
            throw new InvalidRequestException($"Language '{command.Language}' is not built from source.");
        }

        var entryFile = string.IsNullOrWhiteSpace(command.EntryFile) ? null : command.EntryFile.Trim();
        IReadOnlyDictionary<string, string> files;
        if (command.Archive is { Length: > 0 } archive)
        {
            var read = SourceArchive.Read(archive, limits);
            files = read.Files ?? throw ToException(read.Problem!);
            if (entryFile is not null && !files.ContainsKey(entryFile))
            {
                throw new InvalidRequestException($"The entry file `{entryFile}` is not in the archive.");
            }
        }
        else
        {
            files = new Dictionary<string, string>(StringComparer.Ordinal) { [entryFile ?? DefaultFileName(language)] = command.Source! };
        }

        if (SourceSetValidator.Validate(files, limits) is { } problem)
        {
            throw ToException(problem);
        }

        var options = new BuildOptions { EntryFile = entryFile };
        return new BuildInput(command.Language, files, SourceDigest.Compute(language, files, options), entryFile, command.Archive is null ? command.Source : null);
    }

    private static GatewayException ToException(SourceProblem problem) =>
        problem.IsTooLarge ? new SourceTooLargeException(problem.Message) : new InvalidRequestException(problem.Message);
}
