using Faas.AppHost.Networking;

namespace Faas.AppHost.Tests.Unit;

/// <summary>Hands out 20000, 20001, … so wiring assertions are deterministic.</summary>
internal sealed class FakePortAllocator(int first = 20000) : IPortAllocator
{
    private int _next = first;

    public int GetFreePort() => _next++;
}
