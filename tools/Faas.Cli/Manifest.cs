using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Faas.Protos.V1;
using Google.Protobuf;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Faas.Cli;

/// <summary>One function as a manifest (or the command line) describes it, paths resolved.</summary>
public sealed record FunctionSource(string Name, string? Language, string Path, string? Entry, string Description, FunctionConfig Config);

/// <summary>
/// <c>faas.yaml</c>: the functions of a project under version control.
/// <code>
/// functions:
///   - name: shortener
///     language: rust            # optional: from the file's extension
///     source: src/shortener.rs  # a file, or a folder (sent as an archive)
///     entry: main.rs            # optional: the file a multi-file build starts from
///     description: Short links
///     config:                   # the API's config: timeoutMs, memoryMb, maxConcurrency, http, …
///       http: {}
///     env:
///       BASE_URL: https://example.test
///     secrets:                  # references only, never values
///       SIGNING_KEY: ${env:SIGNING_KEY}
///       OTHER: ${file:./secrets/other.txt}
/// </code>
/// </summary>
public static partial class Manifest
{
    public const string FileName = "faas.yaml";

    public static IReadOnlyList<FunctionSource> Load(string path)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        YamlStream yaml = [];
        try
        {
            using var reader = File.OpenText(path);
            yaml.Load(reader);
        }
        catch (YamlException ex)
        {
            throw new CliException($"{path}:{ex.Start.Line}:{ex.Start.Column}: {ex.Message}", ExitCodes.Usage);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("functions"), out var list) || list is not YamlSequenceNode functions)
        {
            throw new CliException($"{path}: expected a list under 'functions:' (see `faas deploy --help`).", ExitCodes.Usage);
        }

        var sources = new List<FunctionSource>();
        foreach (var node in functions)
        {
            if (node is not YamlMappingNode function)
            {
                throw new CliException($"{path}:{node.Start.Line}: each function is a mapping with name, source, …", ExitCodes.Usage);
            }

            sources.Add(Read(path, folder, function));
        }

        var twice = sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        return twice is null ? sources : throw new CliException($"{path}: function '{twice.Key}' is listed twice.", ExitCodes.Usage);
    }

    private static FunctionSource Read(string path, string folder, YamlMappingNode function)
    {
        string? Scalar(string key) => function.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? value is YamlScalarNode scalar ? scalar.Value : throw new CliException($"{path}:{value.Start.Line}: '{key}' must be a single value.", ExitCodes.Usage)
            : null;

        var known = new HashSet<string> { "name", "language", "source", "entry", "description", "config", "env", "secrets" };
        foreach (var key in function.Children.Keys)
        {
            if (key is YamlScalarNode { Value: { } name } && !known.Contains(name))
            {
                throw new CliException($"{path}:{key.Start.Line}: unknown field '{name}' (known: {string.Join(", ", known)}).", ExitCodes.Usage);
            }
        }

        var functionName = Scalar("name") ?? throw new CliException($"{path}:{function.Start.Line}: a function needs a name.", ExitCodes.Usage);
        var source = Scalar("source") ?? throw new CliException($"{path}:{function.Start.Line}: function '{functionName}' needs a source (a file or a folder).", ExitCodes.Usage);
        var configJson = function.Children.TryGetValue(new YamlScalarNode("config"), out var configNode) ? ToJson(configNode, path) : "{}";
        FunctionConfig config;
        try
        {
            config = JsonParser.Default.Parse<FunctionConfig>(configJson);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new CliException($"{path}:{configNode?.Start.Line}: the config of '{functionName}' is not valid: {ex.Message}", ExitCodes.Usage);
        }

        foreach (var (key, value) in Strings(function, "env", path))
        {
            config.Env[key] = value;
        }

        foreach (var (key, reference) in Strings(function, "secrets", path))
        {
            config.Secrets[key] = ResolveSecret(path, folder, functionName, key, reference);
        }

        return new FunctionSource(functionName, Scalar("language"), System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, source)),
            Scalar("entry"), Scalar("description") ?? "", config);
    }

    private static IEnumerable<(string Key, string Value)> Strings(YamlMappingNode function, string field, string path)
    {
        if (!function.Children.TryGetValue(new YamlScalarNode(field), out var node))
        {
            yield break;
        }

        if (node is not YamlMappingNode map)
        {
            throw new CliException($"{path}:{node.Start.Line}: '{field}' must be a mapping of NAME: value.", ExitCodes.Usage);
        }

        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { } name } || value is not YamlScalarNode { Value: var text })
            {
                throw new CliException($"{path}:{key.Start.Line}: '{field}' holds NAME: value pairs only.", ExitCodes.Usage);
            }

            yield return (name, text ?? "");
        }
    }

    /// <summary>A secret's value from its reference: <c>${env:NAME}</c> or <c>${file:path}</c>; a value written out is refused.</summary>
    private static string ResolveSecret(string path, string folder, string function, string key, string reference)
    {
        var match = SecretReference().Match(reference);
        if (!match.Success)
        {
            throw new CliException(
                $"{path}: secret {key} of '{function}' must be a reference, ${{env:NAME}} or ${{file:path}}, never the value itself (the manifest is under version control).",
                ExitCodes.Usage);
        }

        var target = match.Groups["target"].Value;
        if (match.Groups["kind"].Value == "env")
        {
            return Environment.GetEnvironmentVariable(target)
                ?? throw new CliException($"{path}: secret {key} of '{function}' reads ${target}, which is not set.", ExitCodes.Usage);
        }

        var file = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, target));
        return File.Exists(file)
            ? File.ReadAllText(file).TrimEnd('\r', '\n')
            : throw new CliException($"{path}: secret {key} of '{function}' reads {file}, which does not exist.", ExitCodes.Usage);
    }

    /// <summary>
    /// A YAML tree as JSON for the protobuf parser: plain scalars that read as numbers or booleans become them, quoted ones
    /// stay strings, and the values of <c>env</c> maps are strings always.
    /// </summary>
    private static string ToJson(YamlNode node, string path)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node, path, asString: false);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node, string path, bool asString)
    {
        switch (node)
        {
            case YamlMappingNode map:
                writer.WriteStartObject();
                foreach (var (key, value) in map.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? throw new CliException($"{path}:{key.Start.Line}: keys must be plain names.", ExitCodes.Usage);
                    writer.WritePropertyName(name);
                    Write(writer, value, path, asString: name is "env");
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence)
                {
                    Write(writer, item, path, asString);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                var text = scalar.Value ?? "";
                if (asString || scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted)
                {
                    writer.WriteStringValue(text);
                }
                else if (text is "true" or "false")
                {
                    writer.WriteBooleanValue(text == "true");
                }
                else if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                {
                    writer.WriteNumberValue(number);
                }
                else if (text is "" or "~" or "null")
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
        }
    }

    [GeneratedRegex(@"^\$\{(?<kind>env|file):(?<target>[^}]+)\}$")]
    private static partial Regex SecretReference();
}
