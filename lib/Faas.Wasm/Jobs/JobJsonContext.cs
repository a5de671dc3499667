using System.Text.Json;
using System.Text.Json.Serialization;

namespace Faas.Wasm.Jobs;

/// <summary>Source-generated JSON for the job files: the job runner is published with NativeAOT, which has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobResult))]
public sealed partial class JobJsonContext : JsonSerializerContext;
