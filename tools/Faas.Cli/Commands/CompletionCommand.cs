using System.CommandLine;
using System.CommandLine.Completions;
using Faas.Protos.V1;
using Grpc.Core;

namespace Faas.Cli.Commands;

/// <summary>
/// <c>faas completion bash|zsh</c>: a script for the shell that completes <c>faas</c> command lines. The script asks the
/// CLI itself through System.CommandLine's suggest directive (enabled on every root command):
/// <c>faas "[suggest:&lt;cursor position&gt;]" "&lt;command line&gt;"</c> prints the completions at that position, one per line,
/// from the same command tree that parses the arguments, so the scripts hold no knowledge of the commands.
/// </summary>
public static class CompletionCommand
{
    public static Command Create()
    {
        var command = new Command("completion", "Print a script that makes bash or zsh complete faas commands, options and function names.")
            .WithExamples("source <(faas completion bash)         # in ~/.bashrc", "faas completion zsh > \"${fpath[1]}/_faas\"");
        command.Subcommands.Add(Shell(
            "bash",
            "Print the bash completion script. Load it in ~/.bashrc to have it in every shell.",
            BashScript,
            "source <(faas completion bash)         # add this line to ~/.bashrc",
            "faas completion bash > ~/.local/share/bash-completion/completions/faas"));
        command.Subcommands.Add(Shell(
            "zsh",
            "Print the zsh completion script (compinit must be loaded: `autoload -U compinit && compinit` in ~/.zshrc).",
            ZshScript,
            "faas completion zsh > \"${fpath[1]}/_faas\"   # then start a new shell",
            "source <(faas completion zsh)          # or add this line to ~/.zshrc, after compinit"));
        return command;
    }

    private static Command Shell(string name, string description, string script, params string[] examples)
    {
        var command = new Command(name, description).WithExamples(examples);
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(script);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Asks the CLI for the completions of the command line up to the cursor (with the command word as typed replaced by
    /// <c>faas</c>) and keeps those that start with the word under the cursor, ignoring case. Options are offered once a
    /// dash is typed; with nothing to offer, bash completes file names (<c>faas deploy src/…</c>).
    /// </summary>
    public const string BashScript = """
        # bash completion for faas, printed by `faas completion bash`.
        # Load it with `source <(faas completion bash)`; add that line to ~/.bashrc to have it in every shell.
        _faas_complete()
        {
            local line="${COMP_LINE:0:COMP_POINT}"
            line="faas${line#*"${COMP_WORDS[0]}"}"
            local cur="${line##*[[:space:]]}"
            COMPREPLY=()
            local restore_nocase
            restore_nocase=$(shopt -p nocasematch)
            shopt -s nocasematch
            local suggestion
            while IFS= read -r suggestion; do
                case "$suggestion" in
                    "" | /*) continue ;;
                    -*) [[ "$cur" == -* ]] || continue ;;
                esac
                [[ "$suggestion" == "$cur"* ]] && COMPREPLY+=("$suggestion")
            done < <(faas "[suggest:${#line}]" "$line" 2>/dev/null)
            eval "$restore_nocase"
            return 0
        }
        complete -o default -F _faas_complete faas

        """;

    /// <summary>
    /// The same for zsh: the words before the cursor, then the typed part of the current one, and zsh matches what comes
    /// back against it (ignoring case); with nothing to offer, file names.
    /// </summary>
    public const string ZshScript = """
        #compdef faas
        # zsh completion for faas, printed by `faas completion zsh`. Either install it where zsh finds completions,
        #   faas completion zsh > "${fpath[1]}/_faas"
        # or load it with `source <(faas completion zsh)` after compinit (`autoload -U compinit && compinit`) in ~/.zshrc.

        _faas()
        {
            local line="faas" word suggestion
            for word in "${(@)words[2,CURRENT-1]}"; do
                line+=" $word"
            done
            line+=" $PREFIX"
            local -a candidates
            for suggestion in "${(@f)$(faas "[suggest:${#line}]" "$line" 2>/dev/null)}"; do
                [[ -z "$suggestion" || "$suggestion" == /* ]] && continue
                [[ "$suggestion" == -* && "$PREFIX" != -* ]] && continue
                candidates+=("$suggestion")
            done
            compadd -M 'm:{a-zA-Z}={A-Za-z}' -a candidates || _files
        }

        if [[ "${funcstack[1]}" == "_faas" ]]; then
            # Autoloaded from $fpath: this file is the completion function's body.
            _faas "$@"
        else
            compdef _faas faas
        fi

        """;
}

/// <summary>
/// Completion of function names, for the arguments and options that name one of the caller's functions: the names the
/// gateway lists, asked with the credential and address every command uses and a short deadline. Any failure (no mesh,
/// no login, a slow gateway) completes nothing and says nothing: a completion must never print an error into a prompt.
/// </summary>
public static class FunctionNameCompletion
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    private const int MaxNames = 5000;

    public static Argument<string> CompletesFunctionNames(this Argument<string> argument)
    {
        argument.CompletionSources.Add(Complete);
        return argument;
    }

    public static Option<string?> CompletesFunctionNames(this Option<string?> option)
    {
        option.CompletionSources.Add(Complete);
        return option;
    }

    private static IEnumerable<CompletionItem> Complete(CompletionContext completion)
    {
        try
        {
            var word = completion.WordToComplete;
            return Names(completion.ParseResult)
                .Where(name => name.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(name => new CompletionItem(name))
                .ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }

    private static List<string> Names(ParseResult parse)
    {
        using var context = new CliContext(parse.GetValue(GlobalOptions.Url), OutputFormat.Table, CliSettings.DefaultPath());
        if (context.Token is null)
        {
            return [];
        }

        var client = new Functions.FunctionsClient(context.Channel);
        var deadline = DateTime.UtcNow + Deadline;
        var names = new List<string>();
        var token = "";
        do
        {
            var page = client.ListFunctions(new ListFunctionsRequest { PageSize = 500, PageToken = token }, new CallOptions(deadline: deadline));
            names.AddRange(page.Functions.Select(f => f.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0 && names.Count < MaxNames);

        return names;
    }
}
