using System.Diagnostics;
using Faas.AppHost.Model;
using Faas.AppHost.Resources;

namespace Faas.AppHost.Processes;

/// <summary>
/// Starts a service project as <c>dotnet &lt;dll&gt;</c> in its own session, with the app model's
/// environment, its stdout and stderr going to the resource's log.
/// </summary>
internal static class ServiceProcess
{
    /// <summary>Inherited variables that would fight the named Kestrel endpoints the AppHost assigns.</summary>
    private static readonly string[] ConflictingVariables =
    [
        "ASPNETCORE_URLS", "DOTNET_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS",
        "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS", "HTTP_PORTS", "HTTPS_PORTS",
    ];

    public static Process Start(ProjectResourceDefinition definition, ResourceLog log)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = definition.Project.ProjectDirectory,
        };

        // In its own session, Ctrl+C in the terminal reaches only the AppHost, which then stops the
        // services in order; util-linux setsid execs in place, so the pid is the service's own.
        if (SessionLeader.Path is { } setsid)
        {
            startInfo.FileName = setsid;
            startInfo.ArgumentList.Add(DotNetHost.Path);
        }
        else
        {
            startInfo.FileName = DotNetHost.Path;
        }

        startInfo.ArgumentList.Add(definition.Project.AssemblyPath);
        foreach (var variable in ConflictingVariables)
        {
            startInfo.Environment.Remove(variable);
        }

        foreach (var (key, value) in definition.Environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
        process.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void WriteLine(ResourceLog log, string? line)
    {
        if (line is not null)
        {
            log.Write(line);
        }
    }
}
