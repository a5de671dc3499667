using System.Reflection;
using Faas.Gateway.Errors;
using Faas.Gateway.Invocation;
using Faas.Gateway.Tests.Fakes;
using ReliableQueueOptions = Faas.Queues.ReliableQueueOptions;
using ReliableQueues = Faas.Queues.ReliableQueues;
using Faas.ServiceDefaults.Destinations;
using Faas.Storage.Executions;
using Faas.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Faas.Gateway.Tests.Invocation;

/// <summary>
/// What the asynchronous enqueue checks before anything is queued (payload, idempotency key, callback URL, the function),
/// and how a queue server that cannot be reached is told. Without Redis the queue is never reached with success: an
/// accepted, deduplicated or backlog-full enqueue needs the queue's script and is covered by the integration tests.
/// </summary>
public sealed class EnqueuerTests : IDisposable
{
    private static readonly Guid TenantId = Guid.Parse("3b1e7c55-90a2-4d6f-8e13-5a7c9d2f0b64");

    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    // Never opened: nothing in these tests gets as far as the journal or the execution store.
    private readonly NpgsqlDataSource unusedDatabase = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1");
    private readonly FakeRunnableVersions versions = new();
    private readonly RedisDown redis = RedisDown.Create();
    private readonly Enqueuer enqueuer;

    public EnqueuerTests()
    {
        var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        versions.Add(FakeRunnableVersions.Ready(TenantId, "thumbnail", 2));
        enqueuer = new Enqueuer(
            versions,
            new ReliableQueues((IConnectionMultiplexer)(object)redis, Options.Create(new ReliableQueueOptions()), TimeProvider.System, meterFactory),
            new ExecutionJournal(new AsyncExecutionStore(unusedDatabase), Options.Create(new ExecutionJournalOptions()), meterFactory, NullLogger<ExecutionJournal>.Instance),
            new ExecutionStore(unusedDatabase),
            TimeProvider.System,
            Options.Create(new GatewayOptions { MaxPayloadBytes = 1024 }),
            new DestinationPolicy(Options.Create(new CallbackDestinationOptions())),
            meterFactory);
    }

    public void Dispose()
    {
        unusedDatabase.Dispose();
        services.Dispose();
    }

    private Task<EnqueueResult> EnqueueAsync(string name = "thumbnail", string payload = "input", string? key = null, string? callbackUrl = null) =>
        enqueuer.EnqueueAsync(TenantId, name, 0, System.Text.Encoding.UTF8.GetBytes(payload), key, callbackUrl, CancellationToken.None);

    /// <summary>The enqueue passed every check and reached the queue, whose server is down.</summary>
    private async Task ReachesTheQueueAsync(Func<Task<EnqueueResult>> enqueue)
    {
        await Assert.ThrowsAsync<MeshUnavailableException>(enqueue);
        Assert.True(redis.Calls > 0, "the queue server was asked");
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_refused_before_the_function_is_resolved()
    {
        var error = await Assert.ThrowsAsync<PayloadTooLargeException>(() => EnqueueAsync(payload: new string('x', 1025)));

        Assert.Equal("Payload of 1025 bytes exceeds the limit of 1024 bytes.", error.Message);
        Assert.Empty(versions.Lookups);
        Assert.Equal(0, redis.Calls);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\tkey")]
    [InlineData("clé")]
    public async Task An_idempotency_key_that_is_not_visible_ascii_is_refused(string key)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => EnqueueAsync(key: key));

        Assert.Equal("An idempotency key is 1 to 255 visible ASCII characters.", error.Message);
        Assert.Empty(versions.Lookups);
        Assert.Equal(0, redis.Calls);
    }

    [Fact]
    public async Task An_idempotency_key_of_255_characters_passes_and_one_of_256_does_not()
    {
        await Assert.ThrowsAsync<InvalidRequestException>(() => EnqueueAsync(key: new string('k', 256)));
        Assert.Equal(0, redis.Calls);

        await ReachesTheQueueAsync(() => EnqueueAsync(key: new string('k', 255)));
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("/relative/hook")]
    [InlineData("not a url")]
    [InlineData("mailto:ops@example.com")]
    public async Task A_callback_url_that_is_not_absolute_http_is_refused(string url)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => EnqueueAsync(callbackUrl: url));

        Assert.StartsWith("The callback URL must be an absolute http or https URL of at most 2048 characters", error.Message, StringComparison.Ordinal);
        Assert.Empty(versions.Lookups);
    }

    [Fact]
    public async Task A_callback_url_over_2048_characters_is_refused()
    {
        var url = "https://example.com/" + new string('a', 2048 - 20 + 1);

        await Assert.ThrowsAsync<InvalidRequestException>(() => EnqueueAsync(callbackUrl: url));

        Assert.Empty(versions.Lookups);
    }

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://10.1.2.3:8080/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://api.localhost./hook")]
    public async Task A_callback_to_a_destination_that_may_not_be_reached_is_refused(string url)
    {
        var error = await Assert.ThrowsAsync<InvalidRequestException>(() => EnqueueAsync(callbackUrl: url));

        Assert.EndsWith(DestinationPolicy.RefusedMessage, error.Message, StringComparison.Ordinal);
        Assert.Empty(versions.Lookups);
        Assert.Equal(0, redis.Calls);
    }

    [Fact]
    public async Task A_public_https_callback_passes_the_checks()
    {
        await ReachesTheQueueAsync(() => EnqueueAsync(callbackUrl: "https://hooks.example.com/done"));
    }

    [Fact]
    public async Task An_unknown_function_is_refused_before_the_queue()
    {
        await Assert.ThrowsAsync<FunctionNotFoundException>(() => EnqueueAsync(name: "missing"));

        Assert.Equal([(TenantId, "missing", 0)], versions.Lookups);
        Assert.Equal(0, redis.Calls);
    }

    [Fact]
    public async Task A_queue_server_that_cannot_be_reached_is_a_mesh_failure_and_nothing_is_accepted()
    {
        var error = await Assert.ThrowsAsync<MeshUnavailableException>(() => EnqueueAsync());

        Assert.StartsWith("The queue server is unavailable; the invocation was not accepted: ", error.Message, StringComparison.Ordinal);
        Assert.IsType<RedisConnectionException>(error.InnerException);
        Assert.Equal([(TenantId, "thumbnail", 0)], versions.Lookups);
    }

    /// <summary>A Redis connection whose server cannot be reached: every use fails as StackExchange.Redis fails then.</summary>
    public class RedisDown : DispatchProxy
    {
        private int calls;

        public int Calls => Volatile.Read(ref calls);

        public static RedisDown Create() => (RedisDown)(object)Create<IConnectionMultiplexer, RedisDown>();

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Interlocked.Increment(ref calls);
            throw new RedisConnectionException(
                ConnectionFailureType.UnableToConnect, CommandFlags.None, $"{targetMethod?.Name}: no connection is available", null, CommandStatus.Unknown);
        }
    }
}
