using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Faas.Sinks.Client;

/// <summary>Rejects sink settings the sink manager would refuse, at start-up rather than at the first registration.</summary>
public sealed partial class SinkClientOptionsValidator : IValidateOptions<SinkClientOptions>
{
    private const string Section = SinkClientOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, SinkClientOptions options)
    {
        var failures = new List<string>();
        if (options.SinkManager is not { IsAbsoluteUri: true } manager || (manager.Scheme != Uri.UriSchemeHttp && manager.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{Section}:SinkManager (or {SinkClientOptions.SinkManagerEndpointKey}) must be an http(s) URL, not '{options.SinkManager}'.");
        }

        var hasCredential = !string.IsNullOrWhiteSpace(options.Credential);
        var hasFile = !string.IsNullOrWhiteSpace(options.CredentialFile);
        if (hasCredential == hasFile)
        {
            failures.Add($"Set exactly one of {Section}:Credential and {Section}:CredentialFile.");
        }
        else if (hasCredential && !options.Credential!.Trim().StartsWith("fsc_", StringComparison.Ordinal))
        {
            failures.Add($"{Section}:Credential must be a sink credential (fsc_<id>_<secret>).");
        }

        if (!SinkName().IsMatch(options.Name))
        {
            failures.Add($"{Section}:Name must be 1 to 63 letters, digits, '.', '_' or '-', not '{options.Name}'.");
        }

        if (options.Slots < 1)
        {
            failures.Add($"{Section}:Slots must be positive, not {options.Slots}.");
        }

        if (options.MemoryMb < 1)
        {
            failures.Add($"{Section}:MemoryMb must be positive, not {options.MemoryMb}.");
        }

        if (options.MaxFunctionMemoryMb < 0 || options.MaxFunctionMemoryMb > Math.Max(options.MemoryMb, 0))
        {
            failures.Add($"{Section}:MaxFunctionMemoryMb must be between 0 and MemoryMb ({options.MemoryMb}), not {options.MaxFunctionMemoryMb}.");
        }

        if (options.Runtimes.Count == 0 || options.Runtimes.Any(string.IsNullOrWhiteSpace))
        {
            failures.Add($"{Section}:Runtimes must list at least one runtime (\"wasm\", \"javascript\", ...) and no empty one.");
        }

        if (!options.Pulls
            && (!Uri.TryCreate(options.PushAddress, UriKind.Absolute, out var push) || (push.Scheme != Uri.UriSchemeHttp && push.Scheme != Uri.UriSchemeHttps)))
        {
            failures.Add($"{Section}:PushAddress must be empty (the sink pulls) or an http(s) URL, not '{options.PushAddress}'.");
        }

        if (options.InitialRetryDelay <= TimeSpan.Zero || options.MaxRetryDelay < options.InitialRetryDelay)
        {
            failures.Add($"{Section}:InitialRetryDelay must be positive and at most MaxRetryDelay.");
        }

        if (options.CallTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Section}:CallTimeout must be positive, not {options.CallTimeout}.");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            failures.Add($"{Section}:ShutdownTimeout must not be negative, not {options.ShutdownTimeout}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,63}\\z")]
    private static partial Regex SinkName();
}
