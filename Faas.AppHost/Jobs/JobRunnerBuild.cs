using System.Security.Cryptography;
using System.Text;

namespace Faas.AppHost.Jobs;

/// <summary>
/// Where the NativeAOT-published job runner of JOB mode lives: <c>&lt;repository&gt;/.faas/job-runner/&lt;key&gt;</c>,
/// the key a hash of the sources it is built from (the job runner project, <c>Faas.Wasm</c>, the repository's
/// build and package settings). So it is published once per change, shared by every AppHost and test run of the
/// repository whatever their state directory.
/// </summary>
public sealed record JobRunnerBuild(string ProjectPath, string OutputDirectory)
{
    private static readonly string[] SharedSettings = ["Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig"];

    public string CacheRoot => Path.GetDirectoryName(OutputDirectory)!;

    public string Executable => Path.Combine(OutputDirectory, "faas-job-runner");

    public bool IsPublished => File.Exists(Executable) && File.Exists(Path.Combine(OutputDirectory, "libwasmtime.so"));

    /// <summary>The build of the job runner's project at <paramref name="projectPath"/>, keyed by its current sources.</summary>
    public static JobRunnerBuild For(string projectPath)
    {
        var projectDirectory = Path.GetDirectoryName(Path.GetFullPath(projectPath))!;
        var repository = FindRepository(projectDirectory);
        // The execution core it is built from: a change there is a new job runner.
        var executionCore = Path.Combine(repository, "lib", "Faas.Wasm");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in SourcesOf(projectDirectory).Concat(SourcesOf(executionCore))
            .Concat(SharedSettings.Select(s => Path.Combine(repository, s)).Where(File.Exists)))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(repository, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        var key = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        return new JobRunnerBuild(projectPath, Path.Combine(repository, ".faas", "job-runner", key));
    }

    private static IEnumerable<string> SourcesOf(string directory) =>
        !Directory.Exists(directory)
            ? []
            : Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                .Order(StringComparer.Ordinal);

    private static string FindRepository(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Faas.sln")))
            {
                return folder.FullName;
            }
        }

        return start;
    }
}
