using Faas.Gateway.Invocation;
using Faas.Protos.V1;
using Faas.Storage.Model;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;

namespace Faas.Gateway.Grpc;

public sealed class InvocationsService(Invoker invoker) : Invocations.InvocationsBase
{
    private const string OutputContentType = "application/octet-stream";

    public override async Task<HttpBody> Invoke(InvokeRequest request, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var payload = request.Body?.Data.Memory ?? ReadOnlyMemory<byte>.Empty;
        var result = await invoker.InvokeAsync(
            Tenants.Default, request.Name, (int)request.Version, payload,
            id => http.Response.Headers["x-execution-id"] = id,
            context.CancellationToken).ConfigureAwait(false);
        return new HttpBody { ContentType = OutputContentType, Data = UnsafeByteOperations.UnsafeWrap(result.Output) };
    }
}
