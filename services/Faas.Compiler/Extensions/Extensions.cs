using Faas.Compiler.Builds;
using Faas.Compiler.Toolchains;
using Faas.Queues;
using Faas.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Faas.Compiler.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddCompilerServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BuildServiceOptions>().BindConfiguration(BuildServiceOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BuildServiceOptions>, BuildServiceOptionsValidator>();
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.AddFaasDatabase();
        builder.AddFaasRedis();
        builder.AddReliableQueues();
        builder.Services.AddCompilerToolchains();

        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = GrpcClientExtensions.InternalMessageLimit;
            o.MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit;
        });
        builder.Services.AddHostedService<ToolchainDetectionService>();
        builder.Services.AddHealthChecks().AddCheck<ToolchainHealthCheck>("toolchains");

        builder.Services.AddSingleton<CompilerTelemetry>();
        builder.Services.AddSingleton<BuildProcessor>();
        builder.Services.AddHostedService<BuildConsumer>();
        builder.Services.AddHostedService<BuildRecovery>();
        return builder;
    }
}
