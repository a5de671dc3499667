using System.Globalization;
using Faas.AppHost.Model;

namespace Faas.AppHost.Garnet;

/// <summary>The GarnetServer command line for a resource: loopback, Lua on, and an append-only file when persistent.</summary>
internal static class GarnetArguments
{
    public static string[] For(GarnetResourceDefinition definition)
    {
        var arguments = new List<string>
        {
            "--bind", EndpointDefinition.Host,
            "--port", definition.Port.ToString(CultureInfo.InvariantCulture),
            "--lua", "true",
            "-q", // quiet: no banner on the AppHost's console

            // The managed file device: the native one needs libaio, and a failed load kills the process.
            "--device-type", "RandomAccess",
        };

        if (definition.DataDirectory is { } data)
        {
            // Every write goes to the AOF, committed per operation; --recover replays it at the next start,
            // so what a client got an OK for survives a restart.
            arguments.AddRange(
            [
                "--aof",
                "--aof-commit-freq", "0",
                "--recover",
                "--checkpointdir", data,
            ]);
        }

        return [.. arguments];
    }
}
