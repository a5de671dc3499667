namespace Faas.AppHost.Networking;

/// <summary>Hands out loopback ports for the resources the AppHost wires together.</summary>
public interface IPortAllocator
{
    /// <summary>A port no other caller of this allocator got and nothing listens on right now.</summary>
    int GetFreePort();
}
