namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>
/// Whether compilers run without network: under <c>unshare -n</c> (a new, empty network namespace: no
/// interfaces but a downed loopback) when that works on this machine, which needs root or unprivileged
/// user namespaces. Probed once at start-up.
/// </summary>
internal sealed class NetworkIsolation
{
    private NetworkIsolation(IReadOnlyList<string> commandPrefix) => CommandPrefix = commandPrefix;

    public static NetworkIsolation None { get; } = new([]);

    /// <summary>What goes before the compiler's command line.</summary>
    public IReadOnlyList<string> CommandPrefix { get; }

    public bool IsIsolated => CommandPrefix.Count > 0;

    public static async Task<NetworkIsolation> ProbeAsync(CancellationToken cancellationToken)
    {
        if (ExecutableLocator.Find("unshare") is not { } unshare || ExecutableLocator.Find("true") is not { } @true)
        {
            return None;
        }

        var candidate = new NetworkIsolation([unshare, "-n"]);
        var scratch = Path.GetTempPath();
        var outcome = await new SandboxedProcess(candidate)
            .RunAsync(@true, [], scratch, TimeSpan.FromSeconds(10), 1024, null, cancellationToken)
            .ConfigureAwait(false);
        return outcome is { TimedOut: false, ExitCode: 0 } ? candidate : None;
    }
}
