using System.Text.RegularExpressions;
using Faas.Compiler.Toolchains.Builds;
using Faas.Gateway.Errors;
using Faas.Storage.Model;

namespace Faas.Gateway.Deployment;

/// <summary>Checks a deploy's name, language and configuration; every problem is a clear InvalidRequest.</summary>
public static partial class DeployValidator
{
    public const int MaxEnvVariables = 256;
    public const int MaxEnvBytes = 32 * 1024;
    public const int MaxDescriptionLength = 1024;

    /// <summary>
    /// WebAssembly, which the gateway validates itself, the languages the compiler builds, and JavaScript, which
    /// sinks that support the javascript runtime run as is.
    /// </summary>
    public static readonly IReadOnlySet<string> Languages = new HashSet<string>(StringComparer.Ordinal)
    {
        "wat", "wasm", "c", "cpp", "rust", "assemblyscript", "javascript",
    };

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new InvalidRequestException(
                $"Function name '{Echo.Short(name)}' is not valid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter.");
        }
    }

    public static void Validate(DeployCommand command, int maxModuleBytes, int maxSourceBytes = int.MaxValue)
    {
        ValidateName(command.Name);
        ValidateDescription(command.Description);
        if (!string.IsNullOrWhiteSpace(command.EntryFile) && SourceSetValidator.CheckName(command.EntryFile.Trim()) is { } entryFileProblem)
        {
            throw new InvalidRequestException($"entryFile: {entryFileProblem.Message}");
        }

        if (!Languages.Contains(command.Language))
        {
            throw new InvalidRequestException(
                $"Language '{Echo.Short(command.Language)}' is not supported; use one of: {string.Join(", ", Languages.Order())}.");
        }

        if (command.IsJavaScript)
        {
            ValidateJavaScript(command, maxSourceBytes);
        }
        else if (!command.IsWebAssembly)
        {
            ValidateCompiledSource(command, maxSourceBytes);
        }
        else if (command.Archive is { Length: > 0 })
        {
            throw new InvalidRequestException($"Language '{command.Language}' takes no 'archive'; archives hold sources of c, cpp, rust or assemblyscript.");
        }
        else if (command.Language == "wasm")
        {
            if (command.Wasm is not { Length: > 0 })
            {
                throw new InvalidRequestException("Language 'wasm' needs the module in 'wasm' (base64 in JSON).");
            }

            if (command.Wasm.Length > maxModuleBytes)
            {
                throw new InvalidRequestException($"The module is {command.Wasm.Length} bytes; the limit is {maxModuleBytes}.");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(command.Source))
            {
                throw new InvalidRequestException($"Language '{command.Language}' needs the source text in 'source'.");
            }

            if (command.Source.Length > maxModuleBytes)
            {
                throw new InvalidRequestException($"The source is {command.Source.Length} characters; the limit is {maxModuleBytes}.");
            }
        }

        ValidateConfig(command.Config, command.Secrets);
    }

    /// <summary>JavaScript is stored and run as it is sent: one non-empty source text, WARM mode only.</summary>
    private static void ValidateJavaScript(DeployCommand command, int maxSourceBytes)
    {
        if (command.Wasm is { Length: > 0 } || command.Archive is { Length: > 0 })
        {
            throw new InvalidRequestException(
                $"Language '{command.Language}' takes the source text in 'source' only, no '{(command.Wasm is { Length: > 0 } ? "wasm" : "archive")}'.");
        }

        if (string.IsNullOrWhiteSpace(command.Source))
        {
            throw new InvalidRequestException($"Language '{command.Language}' needs the source text in 'source'.");
        }

        var size = System.Text.Encoding.UTF8.GetByteCount(command.Source);
        if (size > maxSourceBytes)
        {
            throw new SourceTooLargeException($"The source has {size} bytes; the limit is {maxSourceBytes} (Gateway:MaxSourceBytes).");
        }

        if (command.Source.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidRequestException("The source contains a NUL character: JavaScript is text.");
        }

        if (command.Config.Mode == ExecutionMode.Job)
        {
            throw new InvalidRequestException(
                $"Language '{command.Language}' runs in WARM mode only: JOB mode runs WebAssembly only.");
        }
    }

    private static void ValidateCompiledSource(DeployCommand command, int maxSourceBytes)
    {
        var hasSource = !string.IsNullOrWhiteSpace(command.Source);
        var hasArchive = command.Archive is { Length: > 0 };
        if (hasSource == hasArchive)
        {
            throw new InvalidRequestException(
                $"Language '{command.Language}' needs either the source text in 'source' or a tar.gz of source files in 'archive' (base64 in JSON), not {(hasSource ? "both" : "neither")}.");
        }

        if (command.Wasm is { Length: > 0 })
        {
            throw new InvalidRequestException($"Language '{command.Language}' is built from source; send a prebuilt module as language 'wasm'.");
        }

        var size = hasSource ? System.Text.Encoding.UTF8.GetByteCount(command.Source!) : command.Archive!.Length;
        if (size > maxSourceBytes)
        {
            throw new SourceTooLargeException(
                $"The {(hasSource ? "source" : "archive")} has {size} bytes; the limit is {maxSourceBytes} (Gateway:MaxSourceBytes).");
        }
    }

    public static void ValidateConfig(FunctionConfig config, IReadOnlyDictionary<string, string>? secrets = null)
    {
        Range(config.TimeoutMs, 1, 900_000, "timeoutMs");
        Range(config.MemoryMb, 1, 4096, "memoryMb");
        Range(config.MaxConcurrency, 1, 10_000, "maxConcurrency");
        Range(config.QueueCapacity, 0, 100_000, "queueCapacity");
        Range(config.MaxRetries, 0, 20, "maxRetries");
        Range(config.MaxWarm, 1, 1_000, "maxWarm");
        Range(config.MinWarm, 0, config.MaxWarm, "minWarm");
        ValidateEnvironment(config.Env, secrets ?? new Dictionary<string, string>(), config.Http is not null);
        if (config.Http is not null && config.Mode == ExecutionMode.Job)
        {
            throw new InvalidRequestException("config.http: an HTTP function runs in WARM mode; JOB mode is for functions of body in, body out.");
        }
    }

    /// <summary>Variables and secrets share one environment: the same name rules, distinct names, one size limit.</summary>
    private static void ValidateEnvironment(IReadOnlyDictionary<string, string> env, IReadOnlyDictionary<string, string> secrets, bool http)
    {
        if (env.Count + secrets.Count > MaxEnvVariables)
        {
            throw new InvalidRequestException($"At most {MaxEnvVariables} environment variables and secrets are allowed; got {env.Count + secrets.Count}.");
        }

        var bytes = 0;
        foreach (var (kind, variables) in new[] { ("Environment variable", env), ("Secret", secrets) })
        {
            foreach (var (key, value) in variables)
            {
                if (!EnvNamePattern().IsMatch(key))
                {
                    throw new InvalidRequestException($"{kind} name '{Echo.Short(key)}' is not valid: use [A-Za-z_][A-Za-z0-9_]*.");
                }

                if (key.StartsWith("FAAS_", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidRequestException($"{kind} '{key}' is reserved: names starting with FAAS_ are set by the platform.");
                }

                if (http && Faas.Gateway.HttpFunctions.CgiRequest.IsRequestVariable(key))
                {
                    throw new InvalidRequestException($"{kind} '{key}' is reserved in an HTTP function: each request sets it (CGI variables and HTTP_*).");
                }

                if (value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new InvalidRequestException($"{kind} '{key}' contains a NUL character.");
                }

                bytes += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value) + 2;
            }
        }

        foreach (var key in secrets.Keys)
        {
            if (env.ContainsKey(key))
            {
                throw new InvalidRequestException($"'{key}' is both an environment variable and a secret; give it once.");
            }
        }

        if (bytes > MaxEnvBytes)
        {
            throw new InvalidRequestException($"The environment and secrets take {bytes} bytes; the limit is {MaxEnvBytes}.");
        }
    }

    private static void ValidateDescription(string description)
    {
        if (description.Length > MaxDescriptionLength)
        {
            throw new InvalidRequestException($"The description has {description.Length} characters; the limit is {MaxDescriptionLength}.");
        }

        if (description.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidRequestException("The description contains a NUL character.");
        }
    }

    private static void Range(int value, int min, int max, string field)
    {
        if (value < min || value > max)
        {
            throw new InvalidRequestException($"config.{field} must be between {min} and {max}; got {value}.");
        }
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}\\z")]
    internal static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*\\z")]
    private static partial Regex EnvNamePattern();
}
