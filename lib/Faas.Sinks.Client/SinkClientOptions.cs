using Faas.Protos.V1;

namespace Faas.Sinks.Client;

/// <summary>How a sink reaches the sink manager and what it registers, bound from the <c>Sink</c> section.</summary>
public sealed class SinkClientOptions
{
    public const string SectionName = "Sink";

    /// <summary>The Aspire-style endpoint the orchestrator sets, used when <see cref="SinkManager"/> is empty.</summary>
    public const string SinkManagerEndpointKey = "services:sinkmanager:grpc:0";

    /// <summary>The sink manager's gRPC address (<c>http://host:port</c> is plaintext HTTP/2).</summary>
    public Uri? SinkManager { get; set; }

    /// <summary>The sink credential, <c>fsc_&lt;id&gt;_&lt;secret&gt;</c>; or see <see cref="CredentialFile"/>.</summary>
    public string? Credential { get; set; }

    /// <summary>A file holding the credential (surrounding white space is ignored), read at every login.</summary>
    public string? CredentialFile { get; set; }

    /// <summary>The sink's name: 1 to 63 letters, digits, '.', '_' and '-'.</summary>
    public string Name { get; set; } = "";

    /// <summary>Invocations the sink runs at once.</summary>
    public int Slots { get; set; }

    /// <summary>Memory for functions at once, MiB.</summary>
    public int MemoryMb { get; set; }

    /// <summary>The largest memory one function may have on the sink, MiB (0: up to <see cref="MemoryMb"/>).</summary>
    public int MaxFunctionMemoryMb { get; set; }

    /// <summary>The function runtimes the sink runs ("wasm", "javascript", ...).</summary>
    public List<string> Runtimes { get; set; } = [];

    /// <summary>The execution modes the sink serves (WARM when empty).</summary>
    public List<ExecutionMode> Modes { get; set; } = [];

    /// <summary>Where the scheduler calls faas.v1.PushedSink/Execute; empty: the sink pulls its tasks.</summary>
    public string? PushAddress { get; set; }

    /// <summary>Free-form labels shown with the sink.</summary>
    public Dictionary<string, string> Labels { get; set; } = new(StringComparer.Ordinal);

    /// <summary>First pause before a retry when the sink manager is unreachable; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Deadline of each unary call to the sink manager.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>On stop, how long running tasks may take to finish before they are cancelled.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Whether the sink pulls its tasks (no <see cref="PushAddress"/>).</summary>
    public bool Pulls => string.IsNullOrWhiteSpace(PushAddress);
}
