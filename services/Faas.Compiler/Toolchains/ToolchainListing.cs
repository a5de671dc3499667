using Faas.Compiler.Toolchains.Languages;
using Faas.Protos.V1;

namespace Faas.Compiler.Toolchains;

/// <summary>The start-up detection's result in the terms of the public contract.</summary>
public static class ToolchainListing
{
    public static ListToolchainsResponse ToProto(ToolchainInventory inventory)
    {
        var response = new ListToolchainsResponse { NetworkIsolated = inventory.Sandboxed };
        foreach (var report in inventory.Reports.Values.OrderBy(r => r.Language))
        {
            var toolchain = new Toolchain
            {
                Language = report.Language.ToName(),
                Available = report.IsAvailable,
                Version = report.Version ?? "",
                Description = report.Describe(),
            };
            toolchain.Missing.Add(report.Missing);
            toolchain.Install.Add(report.InstallPackages);
            response.Toolchains.Add(toolchain);
        }

        return response;
    }
}
