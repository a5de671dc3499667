using Faas.Wasm.Diagnostics;
using Faas.Wasm.Engines;
using Faas.Wasm.Execution;
using Faas.Wasm.Modules;
using Faas.Wasm.Options;
using Faas.Wasm.Validation;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Wasmtime;

namespace Microsoft.Extensions.DependencyInjection;

public static class WasmServiceCollectionExtensions
{
    /// <summary>
    /// Registers what runs functions: the execution engine and its epoch ticker, <see cref="WasmExecutor"/>,
    /// <see cref="ModuleCache"/>, <see cref="ExecutionSlots"/> and <see cref="FunctionHost"/>, with
    /// <see cref="WorkerOptions"/> bound from the <c>Worker</c> section and validated at startup.
    /// The caller registers the <see cref="IModuleSource"/>.
    /// </summary>
    public static IServiceCollection AddWasmExecution(this IServiceCollection services)
    {
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<WasmMetrics>();
        services.TryAddSingleton<Engine>(_ => WasmEngineFactory.CreateForExecution());
        services.TryAddSingleton<EpochTicker>();
        services.TryAddSingleton<WasmExecutor>();
        services.TryAddSingleton<ModuleCache>();
        services.TryAddSingleton<ExecutionSlots>();
        services.TryAddSingleton<FunctionHost>();
        return services;
    }

    /// <summary>
    /// Registers <see cref="FunctionModuleValidator"/> on its own compilation engine (no instance pool),
    /// for services that accept modules (the gateway, the compiler).
    /// </summary>
    public static IServiceCollection AddFunctionModuleValidator(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => new FunctionModuleValidator(WasmEngineFactory.CreateForCompilation()));
        return services;
    }
}
