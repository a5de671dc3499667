namespace Faas.Bench;

public sealed record BenchOptions(TimeSpan Warmup, TimeSpan Duration, IReadOnlyList<int> Concurrency, int Workers, int PayloadBytes, string? MarkdownPath);
