using Faas.Sinks.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class SinkClientServiceCollectionExtensions
{
    /// <summary>
    /// Whether a sink manager is configured: <c>Sink:SinkManager</c>, or the orchestrator's
    /// <c>services:sinkmanager:grpc:0</c>.
    /// </summary>
    public static bool HasSinkManager(this IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{SinkClientOptions.SectionName}:{nameof(SinkClientOptions.SinkManager)}"])
        || !string.IsNullOrWhiteSpace(configuration[SinkClientOptions.SinkManagerEndpointKey]);

    /// <summary>
    /// Registers the <see cref="SinkAgent"/> as a hosted service, with <see cref="SinkClientOptions"/> bound from the
    /// <c>Sink</c> section (the sink manager falling back to <c>services:sinkmanager:grpc:0</c>) and validated at
    /// start-up, and the <see cref="SinkRegistrationHealthCheck"/>. The host registers its <see cref="ISinkLoad"/>
    /// (else only the process's memory is reported) and, to pull tasks, an <see cref="ISinkTaskRunner"/>;
    /// <paramref name="configure"/> sets what the host decides over configuration (capacity, runtimes, ...).
    /// </summary>
    public static IServiceCollection AddSinkAgent(this IServiceCollection services, Action<SinkClientOptions>? configure = null)
    {
        var options = services.AddOptions<SinkClientOptions>().BindConfiguration(SinkClientOptions.SectionName);
        if (configure is not null)
        {
            options.PostConfigure(configure);
        }

        options.PostConfigure<IConfiguration>((sink, configuration) =>
        {
            if (sink.SinkManager is null && Uri.TryCreate(configuration[SinkClientOptions.SinkManagerEndpointKey], UriKind.Absolute, out var endpoint))
            {
                sink.SinkManager = endpoint;
            }
        }).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SinkClientOptions>, SinkClientOptionsValidator>());
        services.TryAddSingleton<ISinkLoad, ProcessSinkLoad>();
        services.TryAddSingleton<SinkAgent>();
        services.AddHostedService(provider => provider.GetRequiredService<SinkAgent>());
        services.AddHealthChecks().AddCheck<SinkRegistrationHealthCheck>(SinkRegistrationHealthCheck.Name);
        return services;
    }
}
