using Faas.AppHost.Garnet;
using Faas.AppHost.Model;

namespace Faas.AppHost.Tests.Unit;

public sealed class GarnetArgumentsTests
{
    [Fact]
    public void Garnet_listens_on_loopback_with_lua_on_and_no_banner()
    {
        var arguments = GarnetArguments.For(new GarnetResourceDefinition("redis", 6390, DataDirectory: null));

        Assert.Equal("127.0.0.1", After(arguments, "--bind"));
        Assert.Equal("6390", After(arguments, "--port"));
        Assert.Equal("true", After(arguments, "--lua"));
        Assert.Contains("-q", arguments);
        Assert.DoesNotContain("--aof", arguments);
    }

    [Fact]
    public void Persistent_garnet_keeps_an_append_only_file_and_recovers_it()
    {
        var arguments = GarnetArguments.For(new GarnetResourceDefinition("redis", 6390, "/state/garnet"));

        Assert.Contains("--aof", arguments);
        Assert.Contains("--recover", arguments);
        Assert.Equal("/state/garnet", After(arguments, "--checkpointdir"));
        Assert.Equal("RandomAccess", After(arguments, "--device-type"));
    }

    private static string After(string[] arguments, string option) => arguments[Array.IndexOf(arguments, option) + 1];
}
