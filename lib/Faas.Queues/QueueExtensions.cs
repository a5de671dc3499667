using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Faas.Queues;

public static class QueueExtensions
{
    /// <summary>
    /// Registers the Redis connection (ConnectionStrings:redis) through Aspire's StackExchange.Redis integration (health
    /// check, traces) and the change notifier. The connection is made even while the server is away and recovers when it
    /// is back.
    /// </summary>
    public static IHostApplicationBuilder AddFaasRedis(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration.GetConnectionString(RedisOptions.ConnectionName)))
        {
            throw new InvalidOperationException($"ConnectionStrings:{RedisOptions.ConnectionName} is not set.");
        }

        builder.AddRedisClient(RedisOptions.ConnectionName, configureOptions: options => options.AbortOnConnectFail = false);
        builder.Services.AddSingleton<FunctionChangeNotifier>();
        return builder;
    }

    /// <summary>
    /// The reliable Redis queues (needs Redis, see <see cref="AddFaasRedis"/>) and the reaper that redelivers
    /// expired leases (section "Queues").
    /// </summary>
    public static IHostApplicationBuilder AddReliableQueues(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        builder.Services.AddOptions<ReliableQueueOptions>()
            .BindConfiguration(ReliableQueueOptions.SectionName)
            .Validate(o => o.DefaultLeaseDuration > TimeSpan.Zero && o.ReaperPeriod > TimeSpan.Zero && o.MaxPollInterval > TimeSpan.Zero,
                "Queues: DefaultLeaseDuration, ReaperPeriod and MaxPollInterval must be positive.")
            .Validate(o => o.ReapBatchSize > 0, "Queues: ReapBatchSize must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ReliableQueues>();
        builder.Services.AddSingleton<BuildQueue>();
        builder.Services.AddSingleton<QueueReaper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<QueueReaper>());
        return builder;
    }
}
