using System.Runtime.CompilerServices;
using Faas.Gateway.Deployment;
using Faas.Protos.V1;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.Invocation;

/// <summary>What the scheduler and the workers need to know of a version.</summary>
public static class FunctionSpecs
{
    // Versions are immutable and the registry hands out the same instance until it changes, so each
    // version's spec is built once, not per invocation. Nobody may modify a spec taken from here.
    private static readonly ConditionalWeakTable<FunctionVersion, FunctionSpec> Cache = new();

    /// <summary>The version's spec, built once per version instance.</summary>
    public static FunctionSpec Of(FunctionVersion version) => Cache.GetValue(version, From);

    /// <summary>
    /// The spec of one call of an HTTP function: the version's, with the request's CGI variables added to its environment
    /// (they win over the function's own variables of the same name, which deploy refuses anyway).
    /// </summary>
    public static FunctionSpec ForRequest(FunctionVersion version, IReadOnlyDictionary<string, string> requestVariables)
    {
        var spec = Of(version).Clone();
        foreach (var (key, value) in requestVariables)
        {
            spec.Env[key] = value;
        }

        return spec;
    }

    private static FunctionSpec From(FunctionVersion version)
    {
        var spec = new FunctionSpec
        {
            TenantId = version.TenantId.ToString(),
            FunctionId = version.FunctionId.ToString(),
            Name = version.FunctionName,
            Version = (uint)version.Version,
            ModuleSha256 = version.ModuleSha256,
            TimeoutMs = (uint)version.Config.TimeoutMs,
            MemoryMb = (uint)version.Config.MemoryMb,
            MaxConcurrency = (uint)version.Config.MaxConcurrency,
            QueueCapacity = (uint)version.Config.QueueCapacity,
            SealedSecrets = version.Config.SealedSecrets ?? "",
            Mode = version.Config.Mode == Storage.Model.ExecutionMode.Job ? ExecutionMode.Job : ExecutionMode.Warm,
            Runtime = FunctionRuntimes.Of(version.Language),
            Idempotent = version.Config.Idempotent,
            MinWarm = (uint)version.Config.MinWarm,
            MaxWarm = (uint)version.Config.MaxWarm,
        };
        foreach (var (key, value) in version.Config.Env)
        {
            spec.Env[key] = value;
        }

        return spec;
    }
}
