namespace Faas.Compiler.Toolchains.Builds;

/// <summary>How a build ended.</summary>
public enum BuildStatus
{
    /// <summary>The module compiled and keeps the function contract.</summary>
    Succeeded,

    /// <summary>The request was rejected before anything ran: bad file names, too many files, too much source, no entry file.</summary>
    InvalidSources,

    /// <summary>The language's toolchain is not installed (the error names the packages) or not supported yet.</summary>
    ToolchainUnavailable,

    /// <summary>The compiler reported errors; see the diagnostics.</summary>
    CompileFailed,

    /// <summary>The compiler ran past the time limit and was killed.</summary>
    TimedOut,

    /// <summary>The module is larger than allowed.</summary>
    ModuleTooLarge,

    /// <summary>The module compiled but is not a deployable function (e.g. a missing <c>_start</c> or a foreign import).</summary>
    InvalidModule,
}
