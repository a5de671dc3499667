namespace Faas.AppHost.Jobs;

/// <summary>Where the AppHost's publish of the one-shot runtime stands, for the dashboard.</summary>
public sealed class OneShotRuntimeState
{
    private volatile string description = "not started";

    public string Description => description;

    public void Set(string value) => description = value;
}
