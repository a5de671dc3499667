using Faas.Protos.V1;
using FunctionVersion = Faas.Storage.Model.FunctionVersion;

namespace Faas.Gateway.Invocation;

/// <summary>What the scheduler and the workers need to know of a version.</summary>
public static class FunctionSpecs
{
    public static FunctionSpec From(FunctionVersion version)
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
        };
        foreach (var (key, value) in version.Config.Env)
        {
            spec.Env[key] = value;
        }

        return spec;
    }
}
