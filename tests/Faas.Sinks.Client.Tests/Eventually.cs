namespace Faas.Sinks.Client.Tests;

/// <summary>Waits, generously, for a condition that becomes true asynchronously.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
