namespace Faas.AppHost.Status;

public static class StatusExtensions
{
    /// <summary>Sinks, toolchains and JOB mode as resource properties in the dashboard (see <see cref="MeshStatus"/>).</summary>
    public static IServiceCollection AddMeshStatus(this IServiceCollection services) =>
        services.AddSingleton<GatewayAdmin>().AddHostedService<MeshStatus>();

    /// <summary>
    /// The dashboard's "Drain" on a worker: its sink finishes what it runs, takes nothing new and leaves the membership
    /// (the gateway's <c>DELETE /v1/sinks/{id}</c>); the worker process keeps running until stopped.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> WithDrainCommand(this IResourceBuilder<ExecutableResource> worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        var sinkName = worker.Resource.Name; // the context names the running replica, not the resource
        return worker.WithCommand("drain-sink", "Drain", async context =>
        {
            var gateway = context.Services.GetRequiredService<GatewayAdmin>();
            if (await gateway.GetAsync("/v1/sinks", context.CancellationToken).ConfigureAwait(false) is not { } body)
            {
                return CommandResults.Failure("The gateway is not answering, or there is no administrator key to ask it with.");
            }

            if (SinkRow.Parse(body).FirstOrDefault(s => s.Name == sinkName) is not { } sink)
            {
                return CommandResults.Failure($"No sink named {sinkName} is registered.");
            }

            return await gateway.SendAsync(HttpMethod.Delete, $"/v1/sinks/{Uri.EscapeDataString(sink.Id)}", context.CancellationToken).ConfigureAwait(false) is not null
                ? CommandResults.Success()
                : CommandResults.Failure("The gateway refused to drain the sink.");
        }, new CommandOptions
        {
            Description = "Finish the invocations this worker runs, take no new ones and leave the sink membership.",
            ConfirmationMessage = "Drain this worker's sink?",
            IconName = "ArrowExit",
        });
    }
}
