using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.Versioning;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Jobs.Oci;

/// <summary>
/// A container created (<c>runc create</c>: namespaces, mounts, cgroup limits, the runtime's process waiting to be
/// started) before the invocation that will use it, with its job folder still empty. Used once, then removed.
/// </summary>
public sealed class PreparedContainer
{
    internal PreparedContainer(
        string id, string bundle, long memoryLimitBytes, int pid, Process create, Task<(byte[] Bytes, bool Overflowed)> stdout, Task<string> stderr)
    {
        Id = id;
        MemoryLimitBytes = memoryLimitBytes;
        Bundle = bundle;
        Pid = pid;
        Create = create;
        Stdout = stdout;
        Stderr = stderr;
    }

    public string Id { get; }

    public string Bundle { get; }

    public long MemoryLimitBytes { get; }

    /// <summary>Where the invocation's files go before the container starts (mounted read-only inside).</summary>
    public string JobFolder => OciBundles.JobFolderOf(Bundle);

    /// <summary>The container's process (in this machine's pid namespace), a child of this process once runc has exited.</summary>
    public int Pid { get; }

    /// <summary>The exited <c>runc create</c>, whose output pipes the container's process inherited.</summary>
    internal Process Create { get; }

    /// <summary>The container's stdout, read to its end (the runtime's result), capped at <see cref="JobOptions.MaxResultBytes"/>.</summary>
    internal Task<(byte[] Bytes, bool Overflowed)> Stdout { get; }

    internal Task<string> Stderr { get; }

    /// <summary>Whether its process has been reaped here: then nothing of the container runs any more.</summary>
    internal bool Reaped { get; set; }
}

/// <summary>
/// Containers prepared ahead of JOB-mode invocations, so an invocation pays only for <c>runc start</c> rather than
/// for creating a container: <see cref="JobOptions.PreparedContainers"/> for each container memory limit used in the
/// last <see cref="JobOptions.PreparedIdleTimeout"/> (at most <see cref="JobOptions.PreparedShapes"/> limits). Each
/// container still serves exactly one invocation and is removed after it. A container that cannot be had at once
/// (the first call of a size, a burst beyond the pool) is created the ordinary way. Needs Linux, where this process
/// becomes the subreaper of the containers it creates so that it can wait for them after <c>runc create</c> exits.
/// </summary>
public sealed partial class PreparedContainers : IAsyncDisposable
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<long, Shape> shapes = new();
    private readonly ConcurrentDictionary<Task, byte> work = new();
    private readonly SemaphoreSlim creating = new(2);
    private readonly CancellationTokenSource disposing = new();
    private readonly OciRuntimeImage image;
    private readonly Runc runc;
    private readonly JobOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<PreparedContainers> logger;
    private readonly Lazy<bool> enabled;

    public PreparedContainers(
        OciRuntimeImage image, Runc runc, IOptions<JobOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<PreparedContainers> logger)
    {
        meterFactory.Create(JobSinkTelemetry.MeterName).CreateObservableGauge(
            "faas.jobs.prepared",
            () => shapes.Values.Select(s => new Measurement<int>(s.Ready.Count, new KeyValuePair<string, object?>("memory_mb", s.MemoryLimitBytes / (1024 * 1024)))),
            description: "Containers prepared ahead of JOB-mode calls, ready now, by container memory limit");
        this.image = image;
        this.runc = runc;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        enabled = new Lazy<bool>(() => this.options.PreparedContainers > 0 && OperatingSystem.IsLinux() && ChildProcesses.BecomeSubreaper());
    }

    /// <summary>
    /// A prepared container with this memory limit: one that is ready, else the next one being prepared (one is started
    /// if none is), waiting for it up to <paramref name="maxWait"/>. Null when the pool is off or no container comes in
    /// time (preparing failed): the caller creates its own. A container taken is replaced once it has run, unless it
    /// was the last one ready, so preparing does not take the CPU from the invocation.
    /// </summary>
    public async ValueTask<PreparedContainer?> TakeAsync(long memoryLimitBytes, string runcPath, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        if (!enabled.Value || disposing.IsCancellationRequested)
        {
            return null;
        }

        var now = time.GetTimestamp();
        var shape = shapes.GetOrAdd(memoryLimitBytes, static limit => new Shape(limit));
        Volatile.Write(ref shape.LastUsed, now);
        ForgetIdleShapes(now);
        var toppedUp = false;
        while (true)
        {
            if (shape.Ready.TryDequeue(out var container))
            {
                if (shape.Ready.IsEmpty)
                {
                    Track(TopUpAsync(shape, runcPath));
                }

                return container;
            }

            if (Volatile.Read(ref shape.Creating) == 0)
            {
                if (toppedUp)
                {
                    return null; // preparing failed
                }

                toppedUp = true;
                Track(TopUpAsync(shape, runcPath));
                continue;
            }

            var remaining = maxWait - time.GetElapsedTime(now);
            if (remaining <= TimeSpan.Zero || !await shape.Available.WaitAsync(remaining, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Removes a container that ran (or could not start), and its bundle, in the background, then prepares its
    /// replacement; disposal waits for it.
    /// </summary>
    public void Remove(PreparedContainer container, string runcPath) => Track(RemoveAsync(container, runcPath));

    private void Track(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        work.TryAdd(task, 0);
        _ = task.ContinueWith(done => work.TryRemove(done, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) for the container's process to be reaped: its exit code (128 + signal when killed), or null if unknown.</summary>
    [SupportedOSPlatform("linux")]
    public static async Task<int?> WaitForExitAsync(PreparedContainer container, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var pause = 1;
        while (true)
        {
            switch (ChildProcesses.TryReap(container.Pid))
            {
                case -1:
                    return null;
                case { } exitCode:
                    container.Reaped = true;
                    return exitCode;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                return null;
            }

            await Task.Delay(pause).ConfigureAwait(false);
            pause = Math.Min(50, pause * 2);
        }
    }

    private async Task TopUpAsync(Shape shape, string runcPath)
    {
        while (!disposing.IsCancellationRequested && shapes.TryGetValue(shape.MemoryLimitBytes, out var current) && current == shape
            && shape.Ready.Count + Volatile.Read(ref shape.Creating) < options.PreparedContainers)
        {
            Interlocked.Increment(ref shape.Creating);
            try
            {
                await creating.WaitAsync(disposing.Token).ConfigureAwait(false);
                PreparedContainer? container;
                try
                {
                    container = await CreateAsync(shape.MemoryLimitBytes, runcPath).ConfigureAwait(false);
                }
                finally
                {
                    creating.Release();
                }

                if (container is null)
                {
                    shape.Available.Release(); // a waiter finds nothing coming and creates its own
                    return; // logged; the next invocation tries again
                }

                shape.Ready.Enqueue(container);
                shape.Available.Release();
                if (disposing.IsCancellationRequested || !shapes.ContainsKey(shape.MemoryLimitBytes))
                {
                    Drain(shape, runcPath);
                }
            }
            catch (OperationCanceledException) when (disposing.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref shape.Creating);
            }
        }
    }

    private async Task<PreparedContainer?> CreateAsync(long memoryLimitBytes, string runcPath)
    {
        var id = OciBundles.NewContainerId(options);
        var bundle = OciBundles.PathOf(options, id);
        Process? create = null;
        try
        {
            var rootFileSystem = await image.GetAsync(disposing.Token).ConfigureAwait(false);
            OciBundles.Create(options, id);
            var jobFolder = OciBundles.JobFolderOf(bundle);
            FileModes.CreateFolder(jobFolder);
            await OciBundles.WriteSpecAsync(bundle, new OciSpecInput
            {
                ContainerId = id,
                RootFileSystem = rootFileSystem,
                JobFolder = jobFolder,
                MemoryLimitBytes = memoryLimitBytes,
                CpuLimit = options.CpuLimit,
                PidsLimit = options.PidsLimit,
                Annotations = new Dictionary<string, string> { ["faas.prepared"] = "true" },
            }, disposing.Token).ConfigureAwait(false);

            var pidFile = Path.Combine(bundle, "container.pid");
            create = Process.Start(runc.StartInfo(runcPath, "create", "--bundle", bundle, "--pid-file", pidFile, "--no-new-keyring", id))
                ?? throw new InvalidOperationException("runc did not start.");
            create.StandardInput.Close();
            var stdout = ContainerProcess.ReadCappedAsync(create.StandardOutput.BaseStream, options.MaxResultBytes);
            var stderr = ContainerProcess.ReadTailAsync(create.StandardError.BaseStream, 4096);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(disposing.Token))
            {
                timeout.CancelAfter(CreateTimeout);
                await create.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }

            if (create.ExitCode != 0 || !File.Exists(pidFile))
            {
                throw new InvalidOperationException($"runc create exited with code {create.ExitCode}: {(stderr.IsCompleted ? (await stderr.ConfigureAwait(false)).Trim() : "")}");
            }

            var pid = int.Parse(await File.ReadAllTextAsync(pidFile, disposing.Token).ConfigureAwait(false), NumberStyles.Integer, CultureInfo.InvariantCulture);
            return new PreparedContainer(id, bundle, memoryLimitBytes, pid, create, stdout, stderr);
        }
        catch (Exception ex)
        {
            if (ex is not OperationCanceledException || !disposing.IsCancellationRequested)
            {
                LogPrepareFailed(logger, id, ex.Message);
            }

            create?.Kill(entireProcessTree: true);
            create?.Dispose();
            await runc.ForceDeleteAsync(runcPath, id).ConfigureAwait(false);
            JobFolder.Delete(bundle);
            return null;
        }
    }

    private async Task RemoveAsync(PreparedContainer container, string runcPath)
    {
        try
        {
            // A container whose process was reaped has stopped: removed here, as runc would; else a plain delete is
            // one runc call, and anything that refuses it is killed first.
            if (!container.Reaped || !OperatingSystem.IsLinux() || !await runc.TryRemoveStoppedAsync(container.Id).ConfigureAwait(false))
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var (deleted, _, _) = await runc.RunAsync(runcPath, timeout.Token, "delete", container.Id).ConfigureAwait(false);
                if (deleted != 0)
                {
                    await runc.ForceDeleteAsync(runcPath, container.Id).ConfigureAwait(false);
                }

                if (OperatingSystem.IsLinux() && !container.Reaped)
                {
                    // A container removed before it ran (disposal) has its process killed by the delete: reap it.
                    await WaitForExitAsync(container, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            LogRemoveFailed(logger, container.Id, ex.Message);
        }
        finally
        {
            JobFolder.Delete(container.Bundle);
            container.Create.Dispose();
        }

        // The replacement after the removal: both are CPU work, and one at a time each is done sooner.
        if (!disposing.IsCancellationRequested && shapes.TryGetValue(container.MemoryLimitBytes, out var shape))
        {
            await TopUpAsync(shape, runcPath).ConfigureAwait(false);
        }
    }

    private void ForgetIdleShapes(long now)
    {
        foreach (var (limit, shape) in shapes)
        {
            var idle = time.GetElapsedTime(Volatile.Read(ref shape.LastUsed), now) > options.PreparedIdleTimeout;
            if (idle || shapes.Count > options.PreparedShapes && shape == shapes.Values.MinBy(s => Volatile.Read(ref s.LastUsed)))
            {
                if (shapes.TryRemove(KeyValuePair.Create(limit, shape)))
                {
                    Drain(shape, runc.Locate() ?? options.RuncPath);
                }
            }
        }
    }

    private void Drain(Shape shape, string runcPath)
    {
        while (shape.Ready.TryDequeue(out var container))
        {
            Remove(container, runcPath);
        }
    }

    /// <summary>Removes every prepared container and waits for the removals under way.</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposing.IsCancellationRequested)
        {
            return;
        }

        await disposing.CancelAsync().ConfigureAwait(false);
        var runcPath = runc.Locate() ?? options.RuncPath;
        do
        {
            foreach (var shape in shapes.Values)
            {
                Drain(shape, runcPath);
            }

            await Task.WhenAll(work.Keys).ConfigureAwait(false);
        }
        while (!work.IsEmpty || shapes.Values.Any(s => !s.Ready.IsEmpty));

        creating.Dispose();
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Could not prepare container {Container}: {Reason}")]
    private static partial void LogPrepareFailed(ILogger logger, string container, string reason);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Could not remove container {Container}: {Reason}")]
    private static partial void LogRemoveFailed(ILogger logger, string container, string reason);

    private sealed class Shape(long memoryLimitBytes)
    {
        public long MemoryLimitBytes { get; } = memoryLimitBytes;

        public ConcurrentQueue<PreparedContainer> Ready { get; } = new();

        /// <summary>Released when a container is ready (or preparing one failed), for invocations waiting for one.</summary>
        public SemaphoreSlim Available { get; } = new(0);

        public int Creating;

        public long LastUsed;
    }
}
