namespace Faas.Storage.Model;

public enum ExecutionMode
{
    Warm,
    Job,
}

/// <summary>The effective settings of a function version, defaults filled in. Stored as JSON with the version.</summary>
public sealed record FunctionConfig
{
    public int TimeoutMs { get; init; } = 30_000;
    public int MemoryMb { get; init; } = 128;
    public int MaxConcurrency { get; init; } = 64;
    public int QueueCapacity { get; init; } = 1_000;
    public int MaxRetries { get; init; } = 3;
    public ExecutionMode Mode { get; init; } = ExecutionMode.Warm;
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public int MinWarm { get; init; }
    public int MaxWarm { get; init; } = 16;

    /// <summary>Safe to run more than once: a synchronous call whose sink is lost mid-run runs again elsewhere.</summary>
    public bool Idempotent { get; init; }

    /// <summary>The version's secrets, sealed (see <see cref="Secrets.FunctionSecrets"/>); null when there are none.</summary>
    public string? SealedSecrets { get; init; }

    /// <summary>The names of the version's secrets (their values are only in <see cref="SealedSecrets"/>).</summary>
    public IReadOnlyList<string> SecretNames { get; init; } = [];

    /// <summary>Set for an HTTP function (called with any method and path, CGI in and out); null for a plain one.</summary>
    public HttpConfig? Http { get; init; }
}

/// <summary>How an HTTP function is reached.</summary>
public sealed record HttpConfig
{
    /// <summary>Callable without a credential, at a route that names the tenant.</summary>
    public bool Public { get; init; }
}
