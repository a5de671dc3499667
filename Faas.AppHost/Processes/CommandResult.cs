namespace Faas.AppHost.Processes;

/// <summary>How a command run to completion ended, with what it printed.</summary>
internal sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}
