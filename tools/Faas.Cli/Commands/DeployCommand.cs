using System.CommandLine;
using System.Formats.Tar;
using System.IO.Compression;
using Faas.Protos.V1;
using Google.Protobuf;
using Spectre.Console;

namespace Faas.Cli.Commands;

/// <summary>
/// <c>faas deploy</c>: one function from a file or a folder, or every function of a <c>faas.yaml</c> manifest. Builds
/// are followed live (queued → building → ready); a failed build prints the compiler's diagnostics with the source line
/// and exits with <see cref="ExitCodes.BuildFailed"/>.
/// </summary>
public static class DeployCommand
{
    private static readonly Dictionary<string, string> Languages = new(StringComparer.OrdinalIgnoreCase)
    {
        [".c"] = "c", [".cpp"] = "cpp", [".cc"] = "cpp", [".cxx"] = "cpp", [".rs"] = "rust", [".ts"] = "assemblyscript",
        [".wat"] = "wat", [".wasm"] = "wasm", [".js"] = "javascript", [".mjs"] = "javascript",
    };

    public static Command Create()
    {
        var path = new Argument<string>("path")
        {
            Description = $"A source file, a folder of sources, or a manifest ({Manifest.FileName}; the default when the current folder has one)",
            DefaultValueFactory = _ => ".",
        };
        var name = new Option<string?>("--name", "-n") { Description = "The function's name (one function; default: the file's or folder's name)" };
        var language = new Option<string?>("--language", "-l") { Description = "c, cpp, rust, assemblyscript, wat, wasm, javascript (default: from the file's extension)" };
        var entry = new Option<string?>("--entry") { Description = "The file a multi-file build starts from" };
        var http = new Option<bool>("--http") { Description = "Deploy as an HTTP function (config.http)" };
        var isPublic = new Option<bool>("--public") { Description = "An HTTP function callable without a credential (config.http.public)" };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once the deploy is accepted, without following the build" };
        var command = new Command("deploy",
            "Build and deploy one function, or every function in a manifest, following each build.")
        {
            path, name, language, entry, http, isPublic, noWait,
        }.WithExamples("faas deploy echo.c", "faas deploy ./api --name api --language rust --http", "faas deploy            # faas.yaml in the current folder", "faas deploy stack/faas.yaml -o json");
        command.Run(async (parse, context, cancellationToken) =>
        {
            var target = parse.GetValue(path)!;
            var manifest = target.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || target.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
                ? target
                : Directory.Exists(target) && File.Exists(Path.Combine(target, Manifest.FileName)) && parse.GetValue(name) is null
                    ? Path.Combine(target, Manifest.FileName)
                    : null;
            IReadOnlyList<FunctionSource> functions;
            if (manifest is not null)
            {
                functions = File.Exists(manifest) ? Manifest.Load(manifest) : throw new CliException($"No such manifest: {manifest}", ExitCodes.Usage);
            }
            else
            {
                var full = Path.GetFullPath(target);
                if (!File.Exists(full) && !Directory.Exists(full))
                {
                    throw new CliException($"No such file or folder: {full}", ExitCodes.Usage);
                }

                var config = new FunctionConfig();
                if (parse.GetValue(http) || parse.GetValue(isPublic))
                {
                    config.Http = new HttpConfig { Public = parse.GetValue(isPublic) };
                }

                functions = [new FunctionSource(
                    parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(full.TrimEnd(Path.DirectorySeparatorChar)),
                    parse.GetValue(language), full, parse.GetValue(entry), "", config)];
            }

            var progress = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            var results = new ListFunctionVersionsResponse();
            var exit = ExitCodes.Ok;
            foreach (var function in functions)
            {
                var version = await DeployAsync(context, progress, function, !parse.GetValue(noWait), cancellationToken);
                results.Versions.Add(version);
                if (version.State == VersionState.BuildFailed)
                {
                    PrintDiagnostics(function, version);
                    exit = ExitCodes.BuildFailed;
                }
            }

            GlobalOptions.Write(context, results, () => { });
            return exit;
        });
        return command;
    }

    private static async Task<FunctionVersion> DeployAsync(CliContext context, IAnsiConsole progress, FunctionSource function, bool follow, CancellationToken cancellationToken)
    {
        var request = Request(function);
        var client = new Functions.FunctionsClient(context.Channel);
        var version = await client.DeployFunctionAsync(request, cancellationToken: cancellationToken);
        var state = Describe(version);
        progress.MarkupLineInterpolated($"{function.Name}: version {version.Version} [grey]{state}[/]");
        if (follow)
        {
            await progress.Status().StartAsync($"{function.Name}: {state}", async status =>
            {
                while (version.State == VersionState.Building)
                {
                    await Task.Delay(250, cancellationToken);
                    version = await client.GetFunctionVersionAsync(
                        new GetFunctionVersionRequest { Name = function.Name, Version = version.Version }, cancellationToken: cancellationToken);
                    if (Describe(version) is var now && now != state)
                    {
                        state = now;
                        status.Status($"{function.Name}: {state}");
                        progress.MarkupLineInterpolated($"{function.Name}: version {version.Version} [grey]{state}[/]");
                    }
                }
            });
        }

        return version;
    }

    /// <summary>Where a version is: queued, building, ready (from the build cache), build failed.</summary>
    private static string Describe(FunctionVersion version) => version.State switch
    {
        VersionState.Building => version.Build?.State == BuildState.Queued ? "queued" : "building",
        VersionState.Ready => version.Build?.CacheHit == true ? "ready (built before)" : "ready",
        VersionState.BuildFailed => "build failed" + (version.Build?.Error is { Length: > 0 } error ? $": {error}" : ""),
        _ => version.State.ToString(),
    };

    public static DeployFunctionRequest Request(FunctionSource function)
    {
        var isFolder = Directory.Exists(function.Path);
        if (!isFolder && !File.Exists(function.Path))
        {
            throw new CliException($"{function.Name}: no such file or folder: {function.Path}", ExitCodes.Usage);
        }

        var language = function.Language ?? (isFolder ? LanguageOfFolder(function) : Languages.GetValueOrDefault(Path.GetExtension(function.Path)))
            ?? throw new CliException($"{function.Name}: cannot tell the language of {function.Path}; give --language (or language: in the manifest).", ExitCodes.Usage);
        var request = new DeployFunctionRequest
        {
            Name = function.Name, Language = language, Config = function.Config, Description = function.Description, EntryFile = function.Entry ?? "",
        };
        if (isFolder)
        {
            request.Archive = ByteString.CopyFrom(Archive(function.Path));
        }
        else if (language == "wasm")
        {
            request.Wasm = ByteString.CopyFrom(File.ReadAllBytes(function.Path));
        }
        else
        {
            request.Source = File.ReadAllText(function.Path);
            if (request.EntryFile.Length == 0 && language is "c" or "cpp" or "rust" or "assemblyscript")
            {
                // The file keeps its own name in diagnostics.
                request.EntryFile = Path.GetFileName(function.Path);
            }
        }

        return request;
    }

    private static string? LanguageOfFolder(FunctionSource function)
    {
        var found = Directory.EnumerateFiles(function.Path, "*", SearchOption.AllDirectories)
            .Select(f => Languages.GetValueOrDefault(Path.GetExtension(f)))
            .OfType<string>()
            .Where(l => l is not ("wat" or "wasm"))
            .Distinct()
            .ToList();
        return found.Count == 1 ? found[0] : found.Contains("cpp") && found.Contains("c") && found.Count == 2 ? "cpp" : null;
    }

    /// <summary>The folder's regular files as a gzip-compressed tar, names relative to it; hidden files and folders left out.</summary>
    private static byte[] Archive(string folder)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: false))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
                if (relative.Split('/').Any(part => part.StartsWith('.')))
                {
                    continue;
                }

                tar.WriteEntry(file, relative);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The compiler's messages as <c>file:line:col: severity: message</c>, with the source line and a caret under the column.</summary>
    private static void PrintDiagnostics(FunctionSource function, FunctionVersion version)
    {
        var error = Console.Error;
        error.WriteLine($"error: {function.Name}: the build failed{(version.Build?.Error is { Length: > 0 } reason ? $": {reason}" : "")}");
        var root = Directory.Exists(function.Path) ? function.Path : Path.GetDirectoryName(function.Path)!;
        foreach (var diagnostic in version.Build?.Diagnostics ?? [])
        {
            var where = diagnostic.File.Length == 0 ? function.Name
                : diagnostic.Line == 0 ? diagnostic.File
                : diagnostic.Column == 0 ? $"{diagnostic.File}:{diagnostic.Line}"
                : $"{diagnostic.File}:{diagnostic.Line}:{diagnostic.Column}";
            error.WriteLine($"{where}: {diagnostic.Severity}: {diagnostic.Message}");
            var local = Path.Combine(root, diagnostic.File);
            if (diagnostic.Line > 0 && diagnostic.File.Length > 0 && File.Exists(local)
                && File.ReadLines(local).Skip((int)diagnostic.Line - 1).FirstOrDefault() is { } line)
            {
                error.WriteLine($"  {line}");
                if (diagnostic.Column > 0)
                {
                    error.WriteLine($"  {new string(' ', (int)Math.Min(diagnostic.Column - 1, line.Length))}^");
                }
            }
        }

        if (version.Build?.Diagnostics.Count == 0 && version.Build.Log.Length > 0)
        {
            error.WriteLine(version.Build.Log);
        }
    }
}
