using Faas.Gateway.Grpc;
using Proto = Faas.Protos.V1;

namespace Faas.Gateway.Tests;

public class ProtoMappingTests
{
    [Fact]
    public void Absent_config_fields_take_the_defaults()
    {
        var config = ProtoMapping.ToDomain(new Proto.FunctionConfig { TimeoutMs = 500 });

        Assert.Equal(500, config.TimeoutMs);
        Assert.Equal(128, config.MemoryMb);
        Assert.Equal(64, config.MaxConcurrency);
        Assert.Equal(1000, config.QueueCapacity);
        Assert.Equal(3, config.MaxRetries);
        Assert.False(config.Idempotent);
    }

    [Fact]
    public void An_explicit_zero_is_kept_rather_than_defaulted()
    {
        var config = ProtoMapping.ToDomain(new Proto.FunctionConfig { QueueCapacity = 0, MaxRetries = 0 });

        Assert.Equal(0, config.QueueCapacity);
        Assert.Equal(0, config.MaxRetries);
    }

    [Fact]
    public void Config_round_trips_through_the_contract()
    {
        var proto = new Proto.FunctionConfig { Mode = Proto.ExecutionMode.Warm, TimeoutMs = 10, MemoryMb = 64, MaxConcurrency = 2, QueueCapacity = 3, MaxRetries = 1, MinWarm = 1, MaxWarm = 4, Idempotent = true };
        proto.Env.Add("GREETING", "hi");

        var back = ProtoMapping.ToProto(ProtoMapping.ToDomain(proto));

        Assert.Equal(proto, back);
    }
}
