using Faas.AppHost.Hosting;
using Faas.AppHost.Health;
using Faas.AppHost.Services;

namespace Faas.AppHost.Postgres;

public static class PostgresExtensions
{
    /// <summary>
    /// The machine's PostgreSQL server (<c>/usr/lib/postgresql/&lt;highest&gt;/bin</c>, <c>--postgres-bin</c>) as a process,
    /// its data in the state directory, on a free loopback port; healthy once it accepts connections and the Faas
    /// database exists (created on first start). The services get <c>ConnectionStrings__{connectionName}</c>.
    /// </summary>
    public static FaasConnection AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string connectionName, StateLayout state, AppHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        var binaries = PostgresBinaries.Locate(options.PostgresBinDirectory) ?? throw new AppHostConfigurationException(
            "PostgreSQL's server programs (initdb, pg_ctl, postgres) are in neither /usr/lib/postgresql/<version>/bin nor PATH. " +
            "Install them (apt-get install postgresql), point --postgres-bin at them, or use an existing server with --faasdb.");
        var server = new PostgresServer(binaries, state.Postgres);
        var (command, prefix) = server.Command;
        var postgres = builder.AddExecutable(name, command, state.Root, [.. prefix])
            .WithEndpoint(name: "tcp", scheme: "tcp", isProxied: false)
            .WithEndpoint("tcp", e => e.TargetHost = "127.0.0.1");
        var endpoint = postgres.GetEndpoint("tcp");
        postgres.WithArgs(context =>
        {
            foreach (var argument in server.ServerArguments("{port}"))
            {
                context.Args.Add(argument == "{port}" ? endpoint.Property(EndpointProperty.TargetPort) : argument);
            }
        });

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(postgres.Resource, async (e, cancellationToken) =>
            await server.PrepareAsync(e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(e.Resource), cancellationToken).ConfigureAwait(false));
        builder.Services.AddSingleton<IServerShutdown>(sp => new PostgresShutdown(server, sp.GetRequiredService<ResourceLoggerService>().GetLogger(postgres.Resource)));

        var check = $"{name}_ready";
        postgres.WithPromptHealthCheck(check, () => new PostgresReadyHealthCheck(endpoint, PostgresServer.ServiceUser, ResourceNames.FaasDatabaseName));

        return FaasConnection.Embedded(connectionName, postgres, ReferenceExpression.Create(
            $"Host={endpoint.Property(EndpointProperty.Host)};Port={endpoint.Property(EndpointProperty.Port)};Username={PostgresServer.ServiceUser};Database={ResourceNames.FaasDatabaseName}"));
    }
}
