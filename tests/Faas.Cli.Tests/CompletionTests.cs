using System.Diagnostics;
using Faas.Cli.Commands;

namespace Faas.Cli.Tests;

/// <summary>
/// Shell completion through the real <c>faas</c> process: System.CommandLine's suggest directive answers with the
/// subcommands, options and values at a cursor position, and the scripts of <c>faas completion bash|zsh</c> ask it. The
/// bash script is sourced in a real bash with the variables bash sets for a completion function. No mesh: the gateway is
/// an address nothing listens on, so function names complete to nothing, silently (CliTests completes them from a mesh).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CompletionTests : IDisposable
{
    /// <summary>Nothing listens there: a refused connection.</summary>
    private const string Unreachable = "http://127.0.0.1:1";

    private readonly string home = Directory.CreateTempSubdirectory("faas-completion-").FullName;

    public CompletionTests()
    {
        // A `faas` on the PATH, as an installed tool is, for the scripts to call back.
        var wrapper = Path.Combine(home, "bin", "faas");
        Directory.CreateDirectory(Path.GetDirectoryName(wrapper)!);
        File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "faas.dll")}' \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(home, recursive: true);

    [Fact]
    public async Task The_suggest_directive_completes_subcommands_options_and_values()
    {
        Assert.Equal(["deploy"], await SuggestAsync("faas de"));
        // The directive matches anywhere in a name, the ones starting with the word first; the scripts keep those only.
        var exec = await SuggestAsync("faas exec l");
        Assert.Equal("ls", exec[0]);
        Assert.DoesNotContain("get", exec);
        Assert.Equal(["--name"], await SuggestAsync("faas deploy --na"));
        Assert.Equal(["Json"], await SuggestAsync("faas ls -o j"));
        Assert.Contains("Failed", await SuggestAsync("faas exec ls --status F"));

        var invoke = await SuggestAsync("faas invoke --");
        Assert.Contains("--data", invoke);
        Assert.Contains("--file", invoke);
        Assert.Contains("--version", invoke);
        Assert.DoesNotContain("--no-wait", invoke);

        var commands = await SuggestAsync("faas ");
        foreach (var command in new[] { "login", "new", "deploy", "ls", "get", "versions", "rm", "invoke", "enqueue", "exec", "dlq", "keys", "sinks", "completion" })
        {
            Assert.Contains(command, commands);
        }
    }

    [Fact]
    public async Task Function_names_complete_to_nothing_and_say_nothing_when_the_gateway_is_unreachable()
    {
        var clock = Stopwatch.StartNew();
        var (exit, output, error) = await FaasAsync("[suggest:12]", "faas invoke ");

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        Assert.All(Lines(output), s => Assert.True(s.StartsWith('-') || s.StartsWith('/'), $"'{s}' is no option"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_bash_script_is_valid_bash()
    {
        var (exit, script, _) = await FaasAsync("completion", "bash");
        Assert.Equal(0, exit);
        Assert.Equal(CompletionCommand.BashScript, script);

        var file = Path.Combine(home, "faas.bash");
        await File.WriteAllTextAsync(file, script);
        var (bashExit, _, bashError) = await RunAsync("bash", "-n", file);
        Assert.True(bashExit == 0, bashError);
    }

    [Fact]
    public async Task Bash_completes_through_the_cli_when_the_script_is_sourced()
    {
        Assert.Equal("complete -o default -F _faas_complete faas", (await BashAsync("complete -p faas")).Trim());

        Assert.Equal(["deploy"], await CompleteInBashAsync("faas de"));
        Assert.Equal(["--name"], await CompleteInBashAsync("faas deploy --na"));
        Assert.Equal(["Json"], await CompleteInBashAsync("faas ls -o j"));
        Assert.Equal(["get", "ls"], await CompleteInBashAsync("faas exec "));
        // The command word as typed (a path to the tool) is the CLI's own name to its parser.
        Assert.Equal(["deploy"], await CompleteInBashAsync($"{Path.Combine(home, "bin", "faas")} de"));

        var invoke = await CompleteInBashAsync("faas invoke --");
        Assert.Contains("--data", invoke);
        Assert.Contains("--version", invoke);

        // Subcommands without options until a dash is typed; nothing to offer leaves bash to complete file names.
        var commands = await CompleteInBashAsync("faas ");
        Assert.Contains("invoke", commands);
        Assert.Contains("completion", commands);
        Assert.DoesNotContain(commands, c => c.StartsWith('-') || c.StartsWith('/'));
        Assert.Empty(await CompleteInBashAsync("faas deploy "));
        Assert.Empty(await CompleteInBashAsync("faas invoke "));
    }

    [Fact]
    public async Task The_zsh_script_defines_and_registers_the_completion_function()
    {
        var (exit, script, _) = await FaasAsync("completion", "zsh");

        Assert.Equal(0, exit);
        Assert.Equal(CompletionCommand.ZshScript, script);
        Assert.StartsWith("#compdef faas\n", script);
        Assert.Contains("_faas()", script);
        Assert.Contains("compdef _faas faas", script);
        Assert.Contains("faas \"[suggest:${#line}]\" \"$line\"", script);
        if (Which("zsh") is { } zsh)
        {
            var file = Path.Combine(home, "_faas");
            await File.WriteAllTextAsync(file, script);
            var (zshExit, _, zshError) = await RunAsync(zsh, "-n", file);
            Assert.True(zshExit == 0, zshError);
        }
    }

    [Fact]
    public async Task Completion_help_says_how_to_install_the_scripts()
    {
        var (exit, help, _) = await FaasAsync("completion", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("bash", help);
        Assert.Contains("zsh", help);
        Assert.Contains("Example", help);

        var (_, bash, _) = await FaasAsync("completion", "bash", "--help");
        Assert.Contains("source <(faas completion bash)", bash);
        Assert.Contains("~/.bashrc", bash);

        var (_, zsh, _) = await FaasAsync("completion", "zsh", "--help");
        Assert.Contains("faas completion zsh > \"${fpath[1]}/_faas\"", zsh);
        Assert.Contains("source <(faas completion zsh)", zsh);
    }

    private async Task<List<string>> SuggestAsync(string line)
    {
        var (exit, output, error) = await FaasAsync($"[suggest:{line.Length}]", line);
        Assert.True(exit == 0, error);
        return Lines(output);
    }

    /// <summary>
    /// Sources the script in bash and calls its function as bash would at the end of <paramref name="line"/>:
    /// COMP_LINE, COMP_POINT, COMP_WORDS (a trailing space starts an empty word) and COMP_CWORD; returns COMPREPLY.
    /// </summary>
    private async Task<List<string>> CompleteInBashAsync(string line)
    {
        const string Complete = """
            COMP_LINE="$1"
            COMP_POINT=${#COMP_LINE}
            read -ra COMP_WORDS <<< "$COMP_LINE"
            [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
            COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _faas_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        return Lines(await BashAsync(Complete, line));
    }

    /// <summary>Runs <paramref name="commands"/> in a bash (no rc files) that has sourced <c>faas completion bash</c>.</summary>
    private async Task<string> BashAsync(string commands, params string[] args)
    {
        var (exit, output, error) = await RunAsync("bash", ["--noprofile", "--norc", "-c", "source <(faas completion bash)\n" + commands, "bash", .. args]);
        Assert.True(exit == 0, error);
        return output;
    }

    private static List<string> Lines(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private Task<(int Exit, string Out, string Err)> FaasAsync(params string[] args) =>
        RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "faas.dll"), .. args]);

    /// <summary>
    /// Runs a process in <see cref="home"/> with the wrapper first on the PATH, a settings file of its own, a token and an
    /// unreachable gateway (so completing a function name asks the network and gets nothing).
    /// </summary>
    private async Task<(int Exit, string Out, string Err)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = home,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PATH"] = Path.Combine(home, "bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        start.Environment["FAAS_CONFIG"] = Path.Combine(home, "config.json");
        start.Environment["FAAS_URL"] = Unreachable;
        start.Environment["FAAS_TOKEN"] = "faas_00000000000000000000000000000000_none";
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
