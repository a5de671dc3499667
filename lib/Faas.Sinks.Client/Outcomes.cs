using DomainOutcome = Faas.Wasm.Execution.ExecutionOutcome;
using ProtoOutcome = Faas.Protos.V1.ExecutionOutcome;

namespace Faas.Sinks.Client;

/// <summary>The execution core's outcome of a run as the sink contract carries it: one mapping for every .NET sink.</summary>
public static class Outcomes
{
    public static ProtoOutcome ToProto(this DomainOutcome outcome) => outcome switch
    {
        DomainOutcome.Ok => ProtoOutcome.Ok,
        DomainOutcome.ExitedNonZero => ProtoOutcome.ExitedNonZero,
        DomainOutcome.Trapped => ProtoOutcome.Trapped,
        DomainOutcome.Timeout => ProtoOutcome.Timeout,
        DomainOutcome.OutOfMemory => ProtoOutcome.OutOfMemory,
        DomainOutcome.InstantiationFailed => ProtoOutcome.InstantiationFailed,
        _ => ProtoOutcome.Unspecified,
    };
}
