using System.Text.Json;

namespace Faas.Wasm.Jobs;

/// <summary>
/// The job runner's side of the job files, read and written with <see cref="Utf8JsonReader"/> and
/// <see cref="Utf8JsonWriter"/>: the same documents as <see cref="JobJsonContext"/> (camelCase names, the outcome by
/// name, the output in base64), without the serializer's metadata, whose first use cost a process that runs one
/// invocation a fifth of its time. Launchers keep using <see cref="JobJsonContext"/>.
/// </summary>
public static class JobFileCodec
{
    /// <summary>Reads <see cref="JobFiles.Request"/>; unknown properties are skipped.</summary>
    /// <exception cref="JsonException">Not JSON, or a property of the wrong type.</exception>
    /// <exception cref="InvalidDataException">Not an object, or without the function's name or module hash.</exception>
    public static JobRequest ReadRequest(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("The request is not a JSON object.");
        }

        string? functionName = null, executionId = null, traceId = null, moduleSha256 = null;
        uint version = 0;
        int timeoutMs = 0, memoryMb = 0;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("functionName"u8))
            {
                functionName = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                reader.Read();
                version = reader.TokenType == JsonTokenType.Number && reader.TryGetUInt32(out var value) ? value : throw NotA("version", "whole number");
            }
            else if (reader.ValueTextEquals("executionId"u8))
            {
                executionId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("traceId"u8))
            {
                traceId = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("timeoutMs"u8))
            {
                timeoutMs = ReadInt32(ref reader, "timeoutMs");
            }
            else if (reader.ValueTextEquals("memoryMb"u8))
            {
                memoryMb = ReadInt32(ref reader, "memoryMb");
            }
            else if (reader.ValueTextEquals("moduleSha256"u8))
            {
                moduleSha256 = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("environment"u8))
            {
                ReadEnvironment(ref reader, environment);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new InvalidDataException("The request ends early.");
        }

        return new JobRequest
        {
            FunctionName = functionName ?? throw new InvalidDataException("The request names no function."),
            ModuleSha256 = moduleSha256 ?? throw new InvalidDataException("The request names no module."),
            Version = version,
            ExecutionId = executionId ?? "",
            TraceId = traceId ?? "",
            TimeoutMs = timeoutMs,
            MemoryMb = memoryMb,
            Environment = environment,
        };
    }

    /// <summary>Writes the result document to <paramref name="stream"/> and flushes it.</summary>
    public static void WriteResult(Stream stream, JobResult result)
    {
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartObject();
        writer.WriteString("outcome"u8, result.Outcome.ToString());
        writer.WriteBase64String("output"u8, result.Output);
        writer.WriteNumber("exitCode"u8, result.ExitCode);
        if (result.Error is null)
        {
            writer.WriteNull("error"u8);
        }
        else
        {
            writer.WriteString("error"u8, result.Error);
        }

        writer.WriteString("stderrTail"u8, result.StderrTail);
        writer.WriteStartArray("log"u8);
        foreach (var line in result.Log)
        {
            writer.WriteStartObject();
            writer.WriteString("time"u8, line.Time);
            writer.WriteString("text"u8, line.Text);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("logDroppedBytes"u8, result.LogDroppedBytes);
        writer.WriteNumber("runMicros"u8, result.RunMicros);
        writer.WriteEndObject();
        writer.Flush();
        stream.Flush();
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw NotA("value", "string"),
        };
    }

    private static int ReadInt32(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : throw NotA(name, "whole number");
    }

    private static JsonException NotA(string name, string kind) => new($"The request's {name} is not a {kind}.");

    private static void ReadEnvironment(ref Utf8JsonReader reader, Dictionary<string, string> environment)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("The request's environment is not an object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            environment[name] = ReadString(ref reader) ?? throw new InvalidDataException($"The environment variable {name} has no value.");
        }
    }
}
