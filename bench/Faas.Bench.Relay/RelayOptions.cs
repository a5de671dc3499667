using System.ComponentModel.DataAnnotations;

namespace Faas.Bench.Relay;

/// <summary>Section "Relay": where the relay forwards its calls (the service key comes from section "ServiceAuth").</summary>
public sealed class RelayOptions
{
    public const string SectionName = "Relay";

    /// <summary>The next hop's gRPC address: another relay, or a worker.</summary>
    [Required]
    public Uri? Next { get; set; }
}
