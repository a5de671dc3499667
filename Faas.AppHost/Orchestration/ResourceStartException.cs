namespace Faas.AppHost.Orchestration;

/// <summary>A resource did not start or never became healthy. The message names it and quotes its log.</summary>
public sealed class ResourceStartException : Exception
{
    public ResourceStartException(string resourceName, string problem, string logPath, IReadOnlyList<string> logTail)
        : base(Describe(resourceName, problem, logPath, logTail))
    {
        ResourceName = resourceName;
    }

    public string ResourceName { get; }

    private static string Describe(string resourceName, string problem, string logPath, IReadOnlyList<string> logTail)
    {
        var message = $"Resource '{resourceName}' {problem}.";
        if (logTail.Count == 0)
        {
            return message + $" Its log ({logPath}) is empty.";
        }

        return message + $" Last lines of {logPath}:" + Environment.NewLine
            + string.Join(Environment.NewLine, logTail.Select(l => "  | " + l));
    }
}
