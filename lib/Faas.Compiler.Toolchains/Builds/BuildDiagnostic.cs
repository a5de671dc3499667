namespace Faas.Compiler.Toolchains.Builds;

public enum DiagnosticSeverity
{
    Error,
    Warning,
    Note,
}

/// <summary>One message of the compiler, located in a source file where the compiler said where.</summary>
/// <param name="File">The source file as the request named it; null for messages about the build as a whole (e.g. the linker's).</param>
/// <param name="Line">1-based; 0 when not located.</param>
/// <param name="Column">1-based; 0 when not located.</param>
public sealed record BuildDiagnostic(string? File, int Line, int Column, DiagnosticSeverity Severity, string Message)
{
    public override string ToString() =>
        File is null ? $"{Severity.ToString().ToLowerInvariant()}: {Message}" : $"{File}:{Line}:{Column}: {Severity.ToString().ToLowerInvariant()}: {Message}";
}
