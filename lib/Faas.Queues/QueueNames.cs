namespace Faas.Queues;

/// <summary>The reliable queues of the mesh.</summary>
public static class QueueNames
{
    /// <summary>Prefix of the per-function queues of asynchronous invocations.</summary>
    public const string InvocationsPrefix = "invocations:";

    /// <summary>Result deliveries to callback URLs.</summary>
    public const string Callbacks = "callbacks";

    /// <summary>The asynchronous invocations of one function.</summary>
    public static string Invocations(Guid functionId) => InvocationsPrefix + functionId.ToString("N");
}
