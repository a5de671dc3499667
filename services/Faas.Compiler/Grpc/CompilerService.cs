using Faas.Compiler.Toolchains;
using Faas.Compiler.Toolchains.Languages;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Compiler.Grpc;

/// <summary>The compiler's internal gRPC service: what it can build.</summary>
public sealed class CompilerService(ToolchainDetector detector) : Protos.V1.Compiler.CompilerBase
{
    public override async Task<ListToolchainsResponse> ListToolchains(ListToolchainsRequest request, ServerCallContext context) =>
        ToolchainListing.ToProto(await detector.GetInventoryAsync(context.CancellationToken).ConfigureAwait(false));
}
