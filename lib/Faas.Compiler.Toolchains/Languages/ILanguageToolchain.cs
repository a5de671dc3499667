using Faas.Compiler.Toolchains.Builds;
using Faas.Compiler.Toolchains.Sandbox;

namespace Faas.Compiler.Toolchains.Languages;

/// <summary>One language's compiler: how to find it and how to call it for a build.</summary>
internal interface ILanguageToolchain
{
    SourceLanguage Language { get; }

    Task<ToolchainReport> DetectAsync(SandboxedProcess runner, CancellationToken cancellationToken);

    /// <summary>The compiler command for these files, or the reason the file set cannot be built.</summary>
    CompileCommand Plan(IReadOnlyCollection<string> fileNames, BuildOptions options, string outputFile);
}

/// <summary>A compiler invocation, run in the build's scratch directory; or, with <see cref="Error"/>, none.</summary>
internal sealed record CompileCommand(string FileName, IReadOnlyList<string> Arguments, string? Error = null)
{
    private static readonly IReadOnlyDictionary<string, string> NoFiles = new Dictionary<string, string>();

    /// <summary>Host folders outside <c>/usr</c> the compiler reads (a toolchain installed elsewhere), mounted read-only in the sandbox.</summary>
    public IReadOnlyList<string> ReadOnlyFolders { get; init; } = [];

    /// <summary>Files the toolchain adds to the sources (e.g. glue), written next to them.</summary>
    public IReadOnlyDictionary<string, string> SupportFiles { get; init; } = NoFiles;

    public static CompileCommand Invalid(string error) => new("", [], error);
}
