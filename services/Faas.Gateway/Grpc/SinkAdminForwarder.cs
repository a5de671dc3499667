using Faas.Gateway.Auth;
using Faas.Gateway.Errors;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Gateway.Grpc;

/// <summary>
/// Sinks and their credentials; administrators only. Every call goes as it is to the sink manager, with the
/// caller's deadline and cancellation. The sink manager's errors pass through unchanged; a sink manager that
/// cannot be reached, or none configured (<c>services:sinkmanager</c>), is UNAVAILABLE (HTTP 503).
/// </summary>
public sealed partial class SinkAdminForwarder(
    SinkAdmin.SinkAdminClient sinkManager, IConfiguration configuration, ILogger<SinkAdminForwarder> logger)
    : SinkAdmin.SinkAdminBase
{
    /// <summary>The configuration section service discovery resolves the sink manager's address from.</summary>
    public const string ConfigurationSection = "services:sinkmanager";

    public override async Task<CreateSinkCredentialResponse> CreateSinkCredential(CreateSinkCredentialRequest request, ServerCallContext context)
    {
        var response = await ForwardAsync(o => sinkManager.CreateSinkCredentialAsync(request, o), context).ConfigureAwait(false);
        LogCredentialCreated(logger, context.Caller().Email, response.Credential?.Id ?? "", response.Credential?.Name ?? request.Name);
        return response;
    }

    public override Task<ListSinkCredentialsResponse> ListSinkCredentials(ListSinkCredentialsRequest request, ServerCallContext context) =>
        ForwardAsync(o => sinkManager.ListSinkCredentialsAsync(request, o), context);

    public override async Task<SinkCredential> RevokeSinkCredential(RevokeSinkCredentialRequest request, ServerCallContext context)
    {
        var response = await ForwardAsync(o => sinkManager.RevokeSinkCredentialAsync(request, o), context).ConfigureAwait(false);
        LogCredentialRevoked(logger, context.Caller().Email, request.Id);
        return response;
    }

    public override Task<ListSinksResponse> ListSinks(ListSinksRequest request, ServerCallContext context) =>
        ForwardAsync(o => sinkManager.ListSinksAsync(request, o), context);

    public override Task<SinkInfo> GetSink(GetSinkRequest request, ServerCallContext context) =>
        ForwardAsync(o => sinkManager.GetSinkAsync(request, o), context);

    public override async Task<SinkInfo> DeleteSink(DeleteSinkRequest request, ServerCallContext context)
    {
        var response = await ForwardAsync(o => sinkManager.DeleteSinkAsync(request, o), context).ConfigureAwait(false);
        LogSinkDeleted(logger, context.Caller().Email, request.SinkId, response.State);
        return response;
    }

    private async Task<TResponse> ForwardAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call, ServerCallContext context)
    {
        if (!configuration.GetSection(ConfigurationSection).Exists())
        {
            throw new MeshUnavailableException($"No sink manager is configured ({ConfigurationSection})");
        }

        try
        {
            using var pending = call(new CallOptions(deadline: context.Deadline, cancellationToken: context.CancellationToken));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException exception) when (IsUnreachable(exception))
        {
            LogUnreachable(logger, context.Method, exception.Status.Detail);
            throw new MeshUnavailableException($"The sink manager is unavailable: {exception.Status.Detail}", exception);
        }
    }

    /// <summary>
    /// The call never got an answer from the sink manager (no connection, no address, a broken stream): the client
    /// made the status up and says why in its debug exception. Statuses the sink manager sent carry none.
    /// </summary>
    private static bool IsUnreachable(RpcException exception) =>
        exception.Status.DebugException is not null
        && exception.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Admin} created sink credential {CredentialId} ({Name})")]
    private static partial void LogCredentialCreated(ILogger logger, string admin, string credentialId, string name);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Admin} revoked sink credential {CredentialId}")]
    private static partial void LogCredentialRevoked(ILogger logger, string admin, string credentialId);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "{Admin} deleted sink {SinkId} (now {State})")]
    private static partial void LogSinkDeleted(ILogger logger, string admin, string sinkId, SinkState state);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Method}: the sink manager is unavailable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string method, string reason);
}
