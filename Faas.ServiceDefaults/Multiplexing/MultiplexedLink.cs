using Grpc.Core;

namespace Faas.ServiceDefaults.Multiplexing;

/// <summary>
/// One service's calls to one peer, the way every hop of the mesh makes them (the gateway's to the scheduler, the
/// scheduler's to each pushed sink): multiplexed on one long-lived stream (<see cref="MultiplexedClient{TRequest, TResponse}"/>),
/// except a call whose payload is larger than <see cref="MultiplexingOptions.MaxStreamedPayloadBytes"/> (so that it does not
/// hold up the small ones sharing the stream) and every call to a peer that does not offer the stream, which go as the
/// unary call. Either way a call ends as the unary call would: its response, or an <see cref="RpcException"/> with the
/// same status and trailers. A subclass says how a request is wrapped for the stream and how an answer is read back.
/// </summary>
public abstract class MultiplexedLink<TRequest, TResponse, TStreamRequest, TStreamResponse>
    : IClientEnvelope<TStreamRequest, TStreamResponse>, IDisposable
    where TStreamRequest : class
    where TStreamResponse : class
{
    private readonly MultiplexingOptions options;
    private readonly MultiplexedClient<TStreamRequest, TStreamResponse> stream;

    protected MultiplexedLink(MultiplexingOptions options, Func<CancellationToken, AsyncDuplexStreamingCall<TStreamRequest, TStreamResponse>> open)
    {
        this.options = options;
        stream = new(open, this, options.StreamLifetime);
    }

    /// <summary>Whether the next small call would go on the stream (false once the peer said it has none).</summary>
    public bool Streams => options.Enabled && !stream.Unsupported;

    /// <summary>Makes one call; <paramref name="deadline"/> is <see cref="DateTime.MaxValue"/> for none.</summary>
    public async Task<TResponse> CallAsync(TRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (Streams && PayloadBytes(request) <= options.MaxStreamedPayloadBytes)
        {
            var answer = await stream.CallAsync(
                (callId, timeout) => Wrap(callId, request, MultiplexingOptions.TimeoutMs(timeout)), deadline, cancellationToken).ConfigureAwait(false);
            if (answer is not null)
            {
                return Unwrap(answer);
            }

            // The peer has no stream (built against an older contract): nothing ran; the unary call carries it.
        }

        return await CallUnaryAsync(request, deadline, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        stream.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>The size that decides between the stream and the unary call.</summary>
    protected abstract int PayloadBytes(TRequest request);

    /// <summary>The stream message of one call.</summary>
    protected abstract TStreamRequest Wrap(ulong callId, TRequest request, uint timeoutMs);

    /// <summary>The response in a successful answer.</summary>
    protected abstract TResponse Unwrap(TStreamResponse answer);

    /// <summary>The unary call.</summary>
    protected abstract Task<TResponse> CallUnaryAsync(TRequest request, DateTime deadline, CancellationToken cancellationToken);

    public abstract ulong CallIdOf(TStreamResponse response);

    public abstract TStreamRequest CancelOf(ulong callId);

    public abstract RpcException? FailureOf(TStreamResponse response);
}
