using Microsoft.Extensions.Options;

namespace Faas.Compiler.Toolchains.Options;

/// <summary>Rejects compiler settings that cannot work, at start-up rather than at the first build.</summary>
public sealed class CompilerOptionsValidator : IValidateOptions<CompilerOptions>
{
    public ValidateOptionsResult Validate(string? name, CompilerOptions options)
    {
        var failures = new List<string>();
        foreach (var (key, value) in new[]
        {
            (nameof(options.ClangPath), options.ClangPath), (nameof(options.WasmLdPath), options.WasmLdPath),
            (nameof(options.WasiSysroot), options.WasiSysroot), (nameof(options.RustcPath), options.RustcPath),
            (nameof(options.AscPath), options.AscPath), (nameof(options.ScratchRoot), options.ScratchRoot),
            (nameof(options.BubblewrapPath), options.BubblewrapPath),
        })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"{CompilerOptions.SectionName}:{key} must not be empty.");
            }
        }

        if (options.BuildTimeout <= TimeSpan.Zero || options.BuildTimeout > TimeSpan.FromMinutes(30))
        {
            failures.Add($"{CompilerOptions.SectionName}:BuildTimeout must be positive and at most 30 minutes, not {options.BuildTimeout}.");
        }

        AddIfNotPositive(failures, nameof(options.MaxLogBytes), options.MaxLogBytes);
        AddIfNotPositive(failures, nameof(options.MaxModuleBytes), options.MaxModuleBytes);
        AddIfNotPositive(failures, nameof(options.MaxSourceFiles), options.MaxSourceFiles);
        AddIfNotPositive(failures, nameof(options.MaxSourceBytes), options.MaxSourceBytes);
        if (options.MaxMemoryBytes < 64L * 1024 * 1024)
        {
            failures.Add($"{CompilerOptions.SectionName}:MaxMemoryBytes must be at least 64 MiB, not {options.MaxMemoryBytes}.");
        }

        if (options.MaxFileBytes < options.MaxModuleBytes)
        {
            failures.Add($"{CompilerOptions.SectionName}:MaxFileBytes must be at least MaxModuleBytes ({options.MaxModuleBytes}), not {options.MaxFileBytes}.");
        }

        if (options.MaxProcesses < 16)
        {
            failures.Add($"{CompilerOptions.SectionName}:MaxProcesses must be at least 16 (compilers run several threads), not {options.MaxProcesses}.");
        }

        if (options.SandboxUserId < 1 || options.SandboxGroupId < 1)
        {
            failures.Add($"{CompilerOptions.SectionName}:SandboxUserId and SandboxGroupId must name an unprivileged user and group (not root), not {options.SandboxUserId}:{options.SandboxGroupId}.");
        }

        if (options.Niceness is < 0 or > 19)
        {
            failures.Add($"{CompilerOptions.SectionName}:Niceness must be between 0 and 19, not {options.Niceness}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddIfNotPositive(List<string> failures, string key, int value)
    {
        if (value < 1)
        {
            failures.Add($"{CompilerOptions.SectionName}:{key} must be positive, not {value}.");
        }
    }
}
