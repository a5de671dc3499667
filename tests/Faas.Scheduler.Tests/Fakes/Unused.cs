using System.Reflection;

namespace Faas.Scheduler.Tests.Fakes;

/// <summary>A stand-in for a dependency the code under test must not touch: any use of it throws.</summary>
public class Unused : DispatchProxy
{
    public static T Of<T>()
        where T : class => Create<T, Unused>();

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new NotSupportedException($"{targetMethod?.DeclaringType?.Name}.{targetMethod?.Name} is not used by these tests.");
}
