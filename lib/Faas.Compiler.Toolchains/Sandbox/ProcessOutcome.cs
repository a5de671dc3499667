namespace Faas.Compiler.Toolchains.Sandbox;

/// <summary>How a sandboxed process ended.</summary>
/// <param name="ExitCode">Its exit code; meaningless when it timed out.</param>
/// <param name="TimedOut">Whether it was killed at its wall-clock limit.</param>
/// <param name="Log">The tail of its stdout and stderr.</param>
/// <param name="DiscardedChars">Output beyond the kept tail.</param>
internal sealed record ProcessOutcome(int ExitCode, bool TimedOut, string Log, long DiscardedChars);
