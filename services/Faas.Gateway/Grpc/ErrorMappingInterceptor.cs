using Faas.Gateway.Errors;
using Faas.Gateway.Http;
using Faas.Storage.Postgres;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Faas.Gateway.Grpc;

/// <summary>The one place domain errors become gRPC statuses, HTTP codes and headers.</summary>
public sealed partial class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            throw Map(ex, context);
        }
        catch (InvalidPageTokenException ex)
        {
            throw Map(new InvalidRequestException(ex.Message), context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (GatewayException ex)
        {
            throw Map(ex, context);
        }
    }

    private RpcException Map(GatewayException ex, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var trailers = new Metadata();
        foreach (var (name, value) in ex.Headers)
        {
            // Headers reach REST clients and gRPC clients of trailers-only responses alike.
            http.Response.Headers[name] = value;
        }

        if (ex.HttpStatus is { } status && HttpStatusOverride.IsTranscoded(http))
        {
            HttpStatusOverride.Set(http, status);
        }

        LogRequestFailed(logger, context.Method, ex.StatusCode, ex.Message);
        return new RpcException(new Status(ex.StatusCode, ex.Message), trailers);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Method} failed with {StatusCode}: {Reason}")]
    private static partial void LogRequestFailed(ILogger logger, string method, StatusCode statusCode, string reason);
}
