namespace Faas.Scheduler;

public static class SchedulerTelemetry
{
    public const string MeterName = "Faas.Scheduler";
}
