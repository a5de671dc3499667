using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Faas.Caching;

public static class CachingExtensions
{
    /// <summary>The cached function registry (needs the database and Redis).</summary>
    public static IHostApplicationBuilder AddFunctionRegistry(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<FunctionRegistryOptions>().BindConfiguration("Registry");
        builder.Services.AddSingleton<FunctionRegistry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<FunctionRegistry>());
        return builder;
    }

    /// <summary>Tenants' quotas, cached (needs the database and Redis; section "Tenancy").</summary>
    public static IHostApplicationBuilder AddTenantQuotas(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<TenancyOptions>().BindConfiguration(TenancyOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TenantQuotas>();
        return builder;
    }
}
