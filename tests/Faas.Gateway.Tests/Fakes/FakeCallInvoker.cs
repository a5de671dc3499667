using System.Collections.Concurrent;
using Grpc.Core;

namespace Faas.Gateway.Tests.Fakes;

/// <summary>
/// The transport under a generated gRPC client, with no server: every unary call is recorded and answered by the
/// script (a response, or an <see cref="RpcException"/> as the real client would throw). Streaming calls are not scripted.
/// </summary>
internal sealed class FakeCallInvoker(Func<FakeCallInvoker.Call, Task<object>> answer) : CallInvoker
{
    private readonly ConcurrentQueue<Call> calls = new();

    /// <summary>The unary calls made so far, in order.</summary>
    public IReadOnlyList<Call> Calls => [.. calls];

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var call = new Call(method.FullName, request, options);
        calls.Enqueue(call);
        return new AsyncUnaryCall<TResponse>(RespondAsync<TResponse>(call), Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException($"{method.FullName} is not scripted as a blocking call.");

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        throw new NotSupportedException($"{method.FullName} is not scripted.");

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException($"{method.FullName} is not scripted.");

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
        Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        throw new NotSupportedException($"{method.FullName} is not scripted.");

    private async Task<TResponse> RespondAsync<TResponse>(Call call) => (TResponse)await answer(call).ConfigureAwait(false);

    /// <summary>One unary call: its method, request and options (deadline, headers, cancellation).</summary>
    public sealed record Call(string Method, object? Request, CallOptions Options);
}
