namespace Faas.Compiler.Tests;

/// <summary>The echo samples from samples/functions, copied next to the tests.</summary>
internal static class Samples
{
    public static IReadOnlyDictionary<string, string> Echo(string fileName) =>
        new Dictionary<string, string> { [fileName] = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", fileName)) };
}
