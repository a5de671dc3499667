namespace Faas.AppHost.Model;

/// <summary>A .NET service project the AppHost runs as <c>dotnet &lt;AssemblyPath&gt;</c>.</summary>
/// <param name="Name">The project's name, e.g. <c>Faas.Gateway</c>.</param>
/// <param name="ProjectPath">Full path of its .csproj; its folder is the process's working directory.</param>
/// <param name="AssemblyPath">Full path of its built dll, same Configuration as the AppHost.</param>
public sealed record ServiceProject(string Name, string ProjectPath, string AssemblyPath)
{
    public string ProjectDirectory => Path.GetDirectoryName(ProjectPath)!;
}
