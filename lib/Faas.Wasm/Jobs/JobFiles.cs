namespace Faas.Wasm.Jobs;

/// <summary>
/// The layout a job launcher and the job runner agree on: one read-only folder holding the request,
/// the payload and the precompiled module. The job runner's exit codes tell its own failures from the
/// function's (whose outcome is in the result, exit code 0).
/// </summary>
public static class JobFiles
{
    /// <summary>Where the folder is mounted inside a container.</summary>
    public const string MountPoint = "/job";

    public const string Request = "request.json";

    public const string Payload = "payload";

    public const string Module = "module.cwasm";

    /// <summary>The job runner's executable name.</summary>
    public const string RunnerExecutable = "faas-job-runner";

    /// <summary>The job runner could not read its request or load the module: a platform failure, not the function's.</summary>
    public const int ExitSetupFailed = 70;

    /// <summary>Wrong command line.</summary>
    public const int ExitUsage = 64;
}
