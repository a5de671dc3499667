using Grpc.Core;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>The context of a server call made directly on a service object: its headers, cancellation and the trailers it sets.</summary>
internal sealed class TestServerCallContext(Metadata? requestHeaders = null, CancellationToken cancellationToken = default) : ServerCallContext
{
    private readonly Metadata responseTrailers = [];
    private readonly AuthContext authContext = new(null, new Dictionary<string, List<AuthProperty>>());

    protected override string MethodCore => "/faas.v1.Scheduler/Dispatch";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:50000";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore { get; } = requestHeaders ?? [];

    protected override CancellationToken CancellationTokenCore => cancellationToken;

    protected override Metadata ResponseTrailersCore => responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => authContext;

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Propagation is not used by these tests.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
