using Microsoft.Extensions.Options;

namespace Faas.Compiler.Builds;

/// <summary>How the compiler service takes builds off the queue (section "Builds").</summary>
public sealed class BuildServiceOptions
{
    public const string SectionName = "Builds";

    /// <summary>Builds run at once; more wait in the queue. Each is one compiler process (AppHost switch <c>--compilers</c>).</summary>
    public int MaxParallelBuilds { get; set; } = 2;

    /// <summary>How long a leased build is held without renewal; renewed every third of it while it runs.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deliveries of one build before it is failed for good (a build that keeps stopping the compiler).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often unfinished builds whose queue message was lost are queued again.</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Rejects build settings that cannot work, at start-up.</summary>
public sealed class BuildServiceOptionsValidator : IValidateOptions<BuildServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, BuildServiceOptions options)
    {
        var failures = new List<string>();
        if (options.MaxParallelBuilds is < 1 or > 64)
        {
            failures.Add($"{BuildServiceOptions.SectionName}:MaxParallelBuilds must be between 1 and 64, not {options.MaxParallelBuilds}.");
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{BuildServiceOptions.SectionName}:LeaseDuration must be at least 1 second, not {options.LeaseDuration}.");
        }

        if (options.MaxAttempts < 1)
        {
            failures.Add($"{BuildServiceOptions.SectionName}:MaxAttempts must be positive, not {options.MaxAttempts}.");
        }

        if (options.RecoveryInterval < TimeSpan.FromSeconds(1))
        {
            failures.Add($"{BuildServiceOptions.SectionName}:RecoveryInterval must be at least 1 second, not {options.RecoveryInterval}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
