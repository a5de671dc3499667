using Faas.Runtime.Modules;
using Faas.Runtime.Worker.Load;
using Faas.Runtime.Worker.Modules;
using Faas.Storage;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class Extensions
{
    /// <summary>Largest request the worker accepts: a payload of up to 16 MiB plus its function spec.</summary>
    private const int MaxRequestBytes = 17 * 1024 * 1024;

    /// <summary>
    /// Everything the worker runs on: the Faas runtime (options from the <c>Runtime</c> section), modules
    /// from the artifact store (unless a module source is already registered), and the load monitor.
    /// </summary>
    public static IHostApplicationBuilder AddRuntimeWorker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddFaasRuntime();
        builder.AddFunctionSecrets();
        builder.Services.TryAddSingleton<IModuleSource, ArtifactModuleSource>();
        builder.Services.AddSingleton<ProcessLoadMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ProcessLoadMonitor>());
        builder.Services.Configure<GrpcServiceOptions>(options => options.MaxReceiveMessageSize = MaxRequestBytes);
        return builder;
    }
}
