using Faas.Scheduler.Dispatch;
using Faas.Scheduler.Placement;
using Faas.Scheduler.Queues;
using Faas.Scheduler.Workers;

namespace Faas.Scheduler.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddSchedulerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SchedulerOptions>().BindConfiguration("Scheduler").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = GrpcClientExtensions.InternalMessageLimit;
            o.MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit;
        });
        builder.Services.AddSingleton<WorkerDirectory>();
        builder.Services.AddHostedService<WorkerProbe>();
        builder.Services.AddSingleton<PlacementPolicy>();
        builder.Services.AddSingleton<FunctionQueues>();
        builder.Services.AddSingleton<Dispatcher>();
        return builder;
    }
}
