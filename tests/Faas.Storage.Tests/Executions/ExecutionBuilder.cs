using Faas.Storage.Model;

namespace Faas.Storage.Tests.Executions;

/// <summary>Execution records for tests: UUIDv7 ids from strictly increasing times, so id order is creation order.</summary>
internal sealed class ExecutionBuilder(Guid tenantId, Guid functionId, string functionName)
{
    // PostgreSQL keeps microseconds: start on a whole millisecond so records compare equal after a round trip.
    private DateTimeOffset next = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public Guid TenantId => tenantId;

    public Guid FunctionId => functionId;

    public static ExecutionBuilder ForNewFunction(Guid? tenantId = null) =>
        new(tenantId ?? Guid.NewGuid(), Guid.NewGuid(), StorageFixture.UniqueName("fn"));

    public Execution Next(ExecutionStatus status = ExecutionStatus.Succeeded)
    {
        var createdAt = next;
        next = next.AddMilliseconds(1);
        return new Execution(
            Guid.CreateVersion7(createdAt), tenantId, functionId, functionName, 1, status, createdAt,
            IsTerminal(status) ? createdAt.AddMilliseconds(5) : null,
            QueueMicros: 120, RunMicros: 4_500, InputBytes: 10, OutputBytes: 20, ExitCode: 0,
            Error: "", StderrTail: "", Worker: "runtime-0", TraceId: "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    public static bool IsTerminal(ExecutionStatus status) => status is not (ExecutionStatus.Queued or ExecutionStatus.Running);
}
