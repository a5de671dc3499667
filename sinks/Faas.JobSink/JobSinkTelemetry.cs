namespace Faas.JobSink;

public static class JobSinkTelemetry
{
    public const string MeterName = "Faas.JobSink";

    public static System.Diagnostics.ActivitySource ActivitySource { get; } = new(MeterName);
}
