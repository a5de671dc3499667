namespace Faas.Scheduler;

public static class SchedulerTelemetry
{
    public const string MeterName = "Faas.Scheduler";

    public static System.Diagnostics.ActivitySource ActivitySource { get; } = new(MeterName);
}
