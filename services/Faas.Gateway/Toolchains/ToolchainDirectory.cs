using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Faas.Wasm.Engines;
using Grpc.Core;

namespace Faas.Gateway.Toolchains;

/// <summary>
/// The languages a deploy may use: WebAssembly, which the gateway validates itself, the compiled languages
/// with the availability the compiler service found at its start-up, and JavaScript, which needs no toolchain
/// (the gateway accepts it; sinks that support the javascript runtime run it).
/// </summary>
public sealed class ToolchainDirectory(Protos.V1.Compiler.CompilerClient compiler)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    public async Task<ListToolchainsResponse> ListAsync(CancellationToken cancellationToken)
    {
        ListToolchainsResponse response;
        try
        {
            response = await compiler.ListToolchainsAsync(new ListToolchainsRequest(), deadline: DateTime.UtcNow + Deadline, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RpcException exception) when (exception.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
        {
            throw new MeshUnavailableException($"The compiler service is not reachable, so toolchain availability is unknown: {exception.Status.Detail}", exception);
        }

        foreach (var language in new[] { "wat", "wasm" })
        {
            response.Toolchains.Add(new Toolchain
            {
                Language = language,
                Available = true,
                Version = WasmEngineFactory.Fingerprint,
                Description = $"{language}: available (validated by the gateway with the workers' engine)",
            });
        }

        response.Toolchains.Add(new Toolchain
        {
            Language = FunctionRuntimes.JavaScript,
            Available = true,
            Description = "javascript: available (stored as sent, not built; runs on sinks that support the javascript runtime, such as the Node.js sample sink)",
        });
        return response;
    }
}
