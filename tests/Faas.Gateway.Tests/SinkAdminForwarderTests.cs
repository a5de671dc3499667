using Faas.Gateway.Errors;
using Faas.Gateway.Grpc;
using Faas.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Faas.Gateway.Tests;

public class SinkAdminForwarderTests
{
    private static readonly IConfiguration Configured = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["services:sinkmanager:grpc:0"] = "http://127.0.0.1:1" })
        .Build();

    private static SinkAdminForwarder Service(CallInvoker invoker, IConfiguration? configuration = null) =>
        new(new SinkAdmin.SinkAdminClient(invoker), configuration ?? Configured, NullLogger<SinkAdminForwarder>.Instance);

    [Fact]
    public async Task Without_a_configured_sink_manager_calls_are_unavailable_and_nothing_is_sent()
    {
        var invoker = new RecordingInvoker(_ => new ListSinksResponse());
        var service = Service(invoker, new ConfigurationBuilder().Build());

        var error = await Assert.ThrowsAsync<MeshUnavailableException>(() => service.ListSinks(new ListSinksRequest(), new TestCallContext()));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("No sink manager is configured (services:sinkmanager)", error.Message);
        Assert.Equal(0, invoker.Calls);
    }

    [Fact]
    public async Task The_request_goes_through_as_is_with_the_callers_deadline_and_cancellation()
    {
        using var cancellation = new CancellationTokenSource();
        var deadline = DateTime.UtcNow.AddSeconds(7);
        var invoker = new RecordingInvoker(request => new SinkInfo { SinkId = ((GetSinkRequest)request).SinkId, State = SinkState.SinkOnline });
        var service = Service(invoker);

        var sink = await service.GetSink(new GetSinkRequest { SinkId = "s-1" }, new TestCallContext(deadline, cancellation.Token));

        Assert.Equal("s-1", sink.SinkId);
        Assert.Equal("/faas.v1.SinkAdmin/GetSink", invoker.Method);
        Assert.Equal(deadline, invoker.Options.Deadline);
        Assert.Equal(cancellation.Token, invoker.Options.CancellationToken);
    }

    [Fact]
    public async Task The_sink_managers_errors_pass_through_unchanged()
    {
        var invoker = new RecordingInvoker(_ => throw new RpcException(new Status(StatusCode.NotFound, "Sink 's-9' not found.")));
        var service = Service(invoker);

        var error = await Assert.ThrowsAsync<RpcException>(() => service.GetSink(new GetSinkRequest { SinkId = "s-9" }, new TestCallContext()));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal("Sink 's-9' not found.", error.Status.Detail);
    }

    [Fact]
    public async Task A_sink_manager_that_cannot_be_reached_is_unavailable()
    {
        // Nothing listens on port 1: the client fails to connect and makes up the status itself.
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:1");
        var service = Service(channel.CreateCallInvoker());

        var error = await Assert.ThrowsAsync<MeshUnavailableException>(() =>
            service.ListSinkCredentials(new ListSinkCredentialsRequest(), new TestCallContext(DateTime.UtcNow.AddSeconds(10))));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.StartsWith("The sink manager is unavailable: ", error.Message);
    }

    /// <summary>Answers every unary call with <paramref name="respond"/> and remembers the last one.</summary>
    private sealed class RecordingInvoker(Func<object, object> respond) : CallInvoker
    {
        public int Calls { get; private set; }

        public string Method { get; private set; } = "";

        public CallOptions Options { get; private set; }

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
        {
            Calls++;
            Method = method.FullName;
            Options = options;
            Task<TResponse> response;
            try
            {
                response = Task.FromResult((TResponse)respond(request));
            }
            catch (RpcException e)
            {
                response = Task.FromException<TResponse>(e);
            }

            return new AsyncUnaryCall<TResponse>(
                response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => [], () => { });
        }

        public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
            throw new NotSupportedException();

        public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) => throw new NotSupportedException();

        public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();

        public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(
            Method<TRequest, TResponse> method, string? host, CallOptions options) => throw new NotSupportedException();
    }

    private sealed class TestCallContext(DateTime? deadline = null, CancellationToken cancellationToken = default) : ServerCallContext
    {
        protected override string MethodCore => "/faas.v1.SinkAdmin/Test";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "ipv4:127.0.0.1:5000";

        protected override DateTime DeadlineCore => deadline ?? DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => cancellationToken;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
