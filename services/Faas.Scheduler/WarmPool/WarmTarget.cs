namespace Faas.Scheduler.WarmPool;

/// <summary>
/// A function as the warm pool sees it: its live module, what runs it, and how many sinks should hold the module.
/// </summary>
/// <param name="Function">tenant/name, as the function's queue is keyed.</param>
/// <param name="Version">The live version, whose module this is.</param>
/// <param name="MinWarm">Sinks that keep the module loaded even when idle.</param>
/// <param name="MaxWarm">Most sinks that may hold it at once; 0 for no limit of its own.</param>
/// <param name="Demand">Invocations waiting or running now.</param>
public sealed record WarmTarget(string Function, uint Version, string ModuleSha256, string Runtime, long MemoryMb, int MinWarm, int MaxWarm, int Demand);
