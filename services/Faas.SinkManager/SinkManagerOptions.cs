using System.ComponentModel.DataAnnotations;

namespace Faas.SinkManager;

/// <summary>Sink manager settings (section "SinkManager").</summary>
public sealed class SinkManagerOptions
{
    public const string SectionName = "SinkManager";

    /// <summary>How often sinks heartbeat (told to them at registration).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A sink without a heartbeat for this long is OFFLINE: nothing is placed on it, what it held goes elsewhere.</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:10:00")]
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromSeconds(2.5);

    /// <summary>An OFFLINE sink is forgotten after this long.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often sinks, leases and waiting tasks are checked.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A task a sink does not acknowledge within this long goes to another sink.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Added to a function's timeout for the lease of an acknowledged task.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan LeaseGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries of one task before it fails as undeliverable.</summary>
    [Range(1, 100)]
    public int MaxDeliveries { get; set; } = 3;

    /// <summary>A task that no online sink can run (runtime, memory) fails after waiting this long for one to appear.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan UnplaceableAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Tasks waiting for a pulling sink, across all sinks; more are refused (RESOURCE_EXHAUSTED).</summary>
    [Range(1, 1_000_000)]
    public int MaxPendingTasks { get; set; } = 10_000;

    /// <summary>A deleted sink that still holds work after this long has it taken back and is removed.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Lifetime of the token a sink gets at login.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The HMAC key sink tokens are signed with (base64, at least 32 bytes), or <see cref="SigningKeyFile"/>.</summary>
    public string? SigningKey { get; set; }

    /// <summary>A file holding <see cref="SigningKey"/>.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>Credential checks (bcrypt) run at once; a few more wait, further logins are refused (RESOURCE_EXHAUSTED).</summary>
    [Range(1, 64)]
    public int MaxConcurrentLogins { get; set; } = 1;

    /// <summary>Failed logins from one client address within <see cref="LoginFailureWindow"/> before its logins are refused.</summary>
    [Range(1, 100_000)]
    public int MaxLoginFailuresPerAddress { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>bcrypt cost of credential secrets.</summary>
    [Range(4, 16)]
    public int BcryptWorkFactor { get; set; } = 10;

    /// <summary>
    /// Where the credential of the built-in workers is kept: on start, when the file is missing or its
    /// credential is no longer valid, a credential named <see cref="BootstrapCredentialName"/> is created and written there (mode 0600).
    /// </summary>
    public string? BootstrapCredentialFile { get; set; }

    public string BootstrapCredentialName { get; set; } = "builtin-workers";
}
