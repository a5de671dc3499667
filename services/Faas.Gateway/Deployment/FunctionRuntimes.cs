namespace Faas.Gateway.Deployment;

/// <summary>What runs a version's code (<c>FunctionSpec.runtime</c>): placement only considers sinks that list it.</summary>
public static class FunctionRuntimes
{
    /// <summary>A WebAssembly module: every language but JavaScript ends up as one.</summary>
    public const string Wasm = Protos.V1.SinkContract.DefaultRuntime;

    /// <summary>JavaScript source, run as is by sinks that support it (such as the Node.js sample sink).</summary>
    public const string JavaScript = Protos.V1.SinkContract.JavaScriptRuntime;

    /// <summary>The runtime of a version deployed in <paramref name="language"/>.</summary>
    public static string Of(string language) => Protos.V1.SinkContract.RuntimeOfLanguage(language);
}
