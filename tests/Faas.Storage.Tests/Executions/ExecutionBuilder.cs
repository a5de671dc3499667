using Faas.Storage.Model;

namespace Faas.Storage.Tests.Executions;

/// <summary>
/// Execution records for tests. Every record, of any builder, is created a millisecond after the one
/// before, and its UUIDv7 id carries that time, so id order is creation order (as the store assumes).
/// </summary>
internal sealed class ExecutionBuilder(Guid tenantId, Guid functionId, string functionName)
{
    private static long lastMilliseconds;

    public Guid TenantId => tenantId;

    public Guid FunctionId => functionId;

    public static ExecutionBuilder ForNewFunction(Guid? tenantId = null) =>
        new(tenantId ?? Guid.NewGuid(), Guid.NewGuid(), StorageFixture.UniqueName("fn"));

    public Execution Next(ExecutionStatus status = ExecutionStatus.Succeeded)
    {
        var createdAt = NextCreationTime();
        return new Execution(
            Guid.CreateVersion7(createdAt), tenantId, functionId, functionName, 1, status, createdAt,
            IsTerminal(status) ? createdAt.AddMilliseconds(5) : null,
            QueueMicros: 120, RunMicros: 4_500, InputBytes: 10, OutputBytes: 20, ExitCode: 0,
            Error: "", StderrTail: "", Worker: "worker-0", TraceId: "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    public static bool IsTerminal(ExecutionStatus status) => status is not (ExecutionStatus.Queued or ExecutionStatus.Running);

    // Whole milliseconds, which PostgreSQL's microseconds keep exactly, so records compare equal after a round trip.
    private static DateTimeOffset NextCreationTime()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long last, next;
        do
        {
            last = Interlocked.Read(ref lastMilliseconds);
            next = Math.Max(now, last + 1);
        }
        while (Interlocked.CompareExchange(ref lastMilliseconds, next, last) != last);

        return DateTimeOffset.FromUnixTimeMilliseconds(next);
    }
}
