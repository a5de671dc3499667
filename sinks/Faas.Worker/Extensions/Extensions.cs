using Faas.Wasm.Modules;
using Faas.Worker.Load;
using Faas.Worker.Modules;
using Faas.Worker.Sinks;
using Faas.Storage;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

public static class Extensions
{
    /// <summary>Largest request the worker accepts: a payload of up to 16 MiB plus its function spec.</summary>
    private const int MaxRequestBytes = 17 * 1024 * 1024;

    /// <summary>
    /// Everything the worker runs on: the Faas runtime (options from the <c>Worker</c> section), modules
    /// from the artifact store (unless a module source is already registered), and the load monitor; and, when a
    /// sink manager is configured, the sink agent that registers the worker with it (section <c>Sink</c>, see
    /// <see cref="WorkerSink"/>): a worker that pulls its tasks gets its modules from the sink manager instead.
    /// </summary>
    public static IHostApplicationBuilder AddWorker(this IHostApplicationBuilder builder)
    {
        builder.Services.AddWasmExecution();
        builder.AddFunctionSecrets();
        if (WorkerSink.IsEnabled(builder.Configuration))
        {
            builder.AddWorkerSink();
        }

        builder.Services.TryAddSingleton<IModuleSource, ArtifactModuleSource>();
        builder.Services.AddSingleton<ProcessLoadMonitor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ProcessLoadMonitor>());
        builder.Services.Configure<GrpcServiceOptions>(options => options.MaxReceiveMessageSize = MaxRequestBytes);
        return builder;
    }
}
