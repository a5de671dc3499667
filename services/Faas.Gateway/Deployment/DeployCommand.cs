using Faas.Storage.Model;

namespace Faas.Gateway.Deployment;

/// <summary>A deploy as the domain sees it.</summary>
/// <param name="Archive">A tar.gz of source files, for compiled languages (instead of <paramref name="Source"/>).</param>
/// <param name="EntryFile">The build's entry file; with a single <paramref name="Source"/>, that file's name.</param>
/// <param name="Wait">Answer only when the build has ended (or <see cref="GatewayOptions.MaxBuildWait"/> passed).</param>
/// <param name="Secrets">Secret environment variables in plain text; the deployer seals them into the config.</param>
public sealed record DeployCommand(
    string Name, string Language, string? Source, byte[]? Wasm, FunctionConfig Config, string Description,
    byte[]? Archive = null, string? EntryFile = null, bool Wait = false, IReadOnlyDictionary<string, string>? Secrets = null)
{
    /// <summary>Languages the gateway turns into a module itself; the others go to the compiler.</summary>
    public bool IsWebAssembly => Language is "wat" or "wasm";

    /// <summary>JavaScript, stored as it is sent and run by sinks that support the javascript runtime.</summary>
    public bool IsJavaScript => Language is FunctionRuntimes.JavaScript;
}
