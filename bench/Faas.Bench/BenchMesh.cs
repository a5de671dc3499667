using Faas.Testing;

namespace Faas.Bench;

/// <summary>
/// The mesh every benchmark starts: the AppHost's own app model, run as a deployment runs it (the Production
/// environment: no developer exception page, no DI scope validation), with any <c>--service-env</c> settings.
/// </summary>
public static class BenchMesh
{
    public const string EnvironmentName = "Production";

    public static Task<FaasTestApp> CreateAsync(BenchOptions? options, Action<FaasTestingOptions>? configure = null) =>
        FaasTestingBuilder.Create(o =>
        {
            o.EnvironmentName = EnvironmentName;
            // The workers' own slots, as a deployment has them (a --service-env Worker__Slots=N still wins).
            o.WorkerSlots = null;
            configure?.Invoke(o);
            var configureAppHost = o.ConfigureAppHost;
            o.ConfigureAppHost = appHost =>
            {
                configureAppHost?.Invoke(appHost);
                foreach (var (key, value) in options?.ServiceEnvironment ?? new Dictionary<string, string>())
                {
                    appHost.ServiceEnvironment[key] = value;
                }
            };
        }).BuildAsync();
}
