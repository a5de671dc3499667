using Faas.Protos.V1;
using Grpc.Net.Client;

namespace Faas.Bench;

/// <summary>The sample functions the benchmarks deploy.</summary>
public static class BenchFunctions
{
    /// <summary>A sample's WebAssembly text, e.g. <c>WatAsync("echo", …)</c>.</summary>
    public static Task<string> WatAsync(string sample, CancellationToken cancellationToken) =>
        File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Functions", sample + ".wat"), cancellationToken);

    /// <summary>Deploys the <c>echo</c> sample as <paramref name="name"/> with <paramref name="config"/>; returns the version.</summary>
    public static async Task<FunctionVersion> DeployEchoAsync(GrpcChannel gateway, string name, FunctionConfig config, CancellationToken cancellationToken) =>
        await new Functions.FunctionsClient(gateway).DeployFunctionAsync(new DeployFunctionRequest
        {
            Name = name,
            Language = "wat",
            Source = await WatAsync("echo", cancellationToken),
            Config = config,
        }, cancellationToken: cancellationToken);
}
