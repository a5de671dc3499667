using Faas.Caching;
using Faas.Gateway.Auth;
using Faas.Gateway.Deployment;
using Faas.Gateway.Grpc;
using Faas.Gateway.Http;
using Faas.Gateway.HttpFunctions;
using Faas.Gateway.Invocation;
using Faas.Gateway.Toolchains;
using Faas.Queues;
using Faas.ServiceDefaults.Destinations;
using Faas.Storage;

namespace Faas.Gateway.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Gateway").ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection("Gateway").Get<GatewayOptions>() ?? new GatewayOptions();

        builder.AddFaasDatabase();
        builder.AddFaasRedis();
        builder.AddFunctionRegistry();
        builder.AddExecutionRecorder();
        builder.AddFunctionLogs();
        builder.Services.AddSingleton<Logs.LogFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Logs.LogFeed>());
        builder.AddExecutionJournal();
        builder.AddReliableQueues();
        builder.AddTenantQuotas();
        builder.AddFunctionSecrets();
        builder.AddDatabaseMigrations();
        // After the migration: the first start creates the administrator.
        builder.AddGatewayAuthentication();

        builder.Services.AddGrpc(o =>
        {
            o.Interceptors.Add<ErrorMappingInterceptor>();
            // The public edge says what went wrong through its domain errors; an unexpected exception's text stays in the log.
            o.EnableDetailedErrors = false;
            // Room for the payload plus its envelope; the exact limit is checked by the invoker.
            o.MaxReceiveMessageSize = Math.Max(options.MaxPayloadBytes, options.MaxModuleBytes) + (64 * 1024);
            o.MaxSendMessageSize = GrpcClientExtensions.InternalMessageLimit;
        }).AddJsonTranscoding();
        builder.Services.AddGatewayOpenApi();

        builder.Services.AddInternalGrpcClient<Protos.V1.Scheduler.SchedulerClient>(new Uri("http://_grpc.scheduler"));
        builder.Services.AddOptions<Faas.ServiceDefaults.Multiplexing.MultiplexingOptions>().BindConfiguration("Gateway:SchedulerStreams").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Invocation.SchedulerLink>();
        // The one-hop path: slot leases from the scheduler, calls straight to the sinks.
        builder.Services.AddOptions<Invocation.Leases.LeaseClientOptions>().BindConfiguration(Invocation.Leases.LeaseClientOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<Invocation.Leases.SlotLeases>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Invocation.Leases.SlotLeases>());
        builder.Services.AddSingleton<Invocation.Leases.SinkLinks>();
        builder.Services.AddSingleton<Invocation.Leases.DirectDispatch>();
        builder.Services.AddInternalGrpcClient<Protos.V1.Compiler.CompilerClient>(new Uri("http://_grpc.compiler"));
        // Resolved on the first call: without services:sinkmanager the gateway runs, and SinkAdmin answers UNAVAILABLE.
        builder.Services.AddInternalGrpcClient<Protos.V1.SinkAdmin.SinkAdminClient>(new Uri("http://_grpc.sinkmanager"));

        builder.Services.AddFunctionModuleValidator();
        builder.Services.AddSingleton<ModuleBuilder>();
        builder.Services.AddSingleton<FunctionDeployer>();
        builder.Services.AddSingleton<BuildWaiter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BuildWaiter>());
        builder.Services.AddSingleton<ToolchainDirectory>();
        builder.Services.AddSingleton<RunnableVersions>();
        builder.Services.AddSingleton<IRunnableVersions>(sp => sp.GetRequiredService<RunnableVersions>());
        builder.Services.AddSingleton<Invoker>();
        builder.AddCallbackDestinations();
        builder.Services.AddSingleton<Enqueuer>();
        builder.Services.AddSingleton<DeadLetters>();
        builder.Services.AddSingleton<InvocationRateLimiter>();
        builder.Services.AddOptions<HttpFunctions.HttpFunctionOptions>().BindConfiguration(HttpFunctions.HttpFunctionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HttpFunctions.PublicRouteGuard>();
        return builder;
    }

    /// <summary>
    /// The public API: the gRPC services (REST through JSON transcoding), each behind its authorization policy, the HTTP
    /// function routes and the OpenAPI document of the REST routes.
    /// </summary>
    public static IEndpointRouteBuilder MapGatewayApi(this IEndpointRouteBuilder app)
    {
        app.MapGrpcService<AuthService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
        app.MapGrpcService<AdminService>().RequireAuthorization(GatewayAuthentication.AdminPolicy);
        app.MapGrpcService<SinkAdminForwarder>().RequireAuthorization(GatewayAuthentication.AdminPolicy);
        app.MapGrpcService<FunctionsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
        app.MapGrpcService<InvocationsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
        app.MapGrpcService<ExecutionsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
        app.MapGrpcService<Logs.LogsService>().RequireAuthorization(GatewayAuthentication.UserPolicy);
        app.MapHttpFunctions();
        app.MapGatewayOpenApi();
        return app;
    }
}
