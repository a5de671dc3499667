using System.Text.Json;
using System.Text.Json.Serialization;

namespace Faas.Runtime.Jobs;

/// <summary>Source-generated JSON for the job files: the one-shot runtime is published with NativeAOT, which has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobResult))]
public sealed partial class JobJsonContext : JsonSerializerContext;
