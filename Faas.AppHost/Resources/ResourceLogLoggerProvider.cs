namespace Faas.AppHost.Resources;

/// <summary>Writes an in-process resource's own logging (Garnet's) into that resource's log file.</summary>
internal sealed class ResourceLogLoggerProvider(ResourceLog log, LogLevel minimumLevel) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ResourceLogLogger(log, categoryName, minimumLevel);

    public void Dispose()
    {
    }

    private sealed class ResourceLogLogger(ResourceLog log, string category, LogLevel minimumLevel) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            log.Write($"{DateTimeOffset.Now:HH:mm:ss.fff} {logLevel}: {category}: {formatter(state, exception)}");
            if (exception is not null)
            {
                log.Write(exception.ToString());
            }
        }
    }
}
