using Faas.Caching;
using Faas.Queues;
using Faas.Scheduler.Async;
using Faas.ServiceDefaults.Destinations;
using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Leases;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Sinks;
using Faas.Scheduler.WarmPool;
using Faas.Storage;

namespace Faas.Scheduler.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddSchedulerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration("Scheduler").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<Faas.ServiceDefaults.Multiplexing.MultiplexingOptions>().BindConfiguration("Scheduler:WorkerStreams").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = GrpcClientExtensions.InternalMessageLimit;
            o.MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit;
        });
        // Sinks: the sink manager's membership, and its hand-off to sinks that pull.
        builder.Services.AddInternalGrpcClient<Protos.V1.SinkDirectory.SinkDirectoryClient>(new Uri("http://_grpc.sinkmanager"));
        builder.Services.AddSingleton<SinkView>();
        builder.Services.AddSingleton<ISinkView>(sp => sp.GetRequiredService<SinkView>());
        builder.Services.AddHostedService<SinkWatcher>();
        builder.Services.AddSingleton<PlacementPolicy>();
        builder.Services.AddSingleton<FunctionQueues>();
        builder.Services.AddSingleton<ITenantConcurrency, TenantConcurrency>();
        builder.Services.AddSingleton<TenantShares>();
        builder.Services.AddSingleton<Dispatcher>();
        // Slot leases: gateways run warm calls on the sinks themselves, within what the scheduler grants.
        builder.Services.AddOptions<LeaseOptions>().BindConfiguration(LeaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LeaseBroker>();

        // The warm pool: modules loaded ahead of calls (minWarm, demand), unloaded when idle, capped at maxWarm.
        builder.Services.AddOptions<WarmPoolOptions>().BindConfiguration(WarmPoolOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WarmTargets>();
        builder.Services.AddHostedService<WarmPoolController>();

        // Asynchronous invocations: reliable queues in, execution journal out, callbacks.
        builder.Services.AddOptions<AsyncOptions>().BindConfiguration(AsyncOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddFaasDatabase();
        builder.AddFaasRedis();
        builder.AddReliableQueues();
        builder.AddExecutionJournal();
        // Asynchronous runs' logs; the scheduler also sweeps everyone's old lines.
        builder.AddFunctionLogs(sweep: true);
        builder.AddTenantQuotas();
        builder.Services.AddHostedService<AsyncConsumer>();
        builder.AddCallbackDestinations();
        builder.Services.AddHostedService<CallbackDispatcher>();
        builder.Services.AddHostedService<AsyncBacklogGauge>();
#pragma warning disable EXTEXP0001 // callbacks are retried by the queue with backoff, not by the HTTP client
        builder.Services.AddHttpClient(CallbackDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(DestinationExtensions.CreateGuardedHandler)
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }
}
