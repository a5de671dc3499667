using System.Runtime.Versioning;
using Faas.JobSink.Jobs;
using Faas.JobSink.Jobs.Oci;
using Microsoft.Extensions.Options;

namespace Faas.JobSink.Tests.Unit;

/// <summary>
/// Removing a stopped container without runc touches only what runc's state says is the container's, and hands
/// anything unexpected back to runc untouched.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RuncRemovalTests : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "faas-runc-state-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly Runc runc;

    public RuncRemovalTests() => runc = new Runc(Options.Create(new JobOptions { RuncRoot = root }));

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Without_state_it_leaves_the_container_to_runc()
    {
        Assert.False(await runc.TryRemoveStoppedAsync("faas-gone"));
    }

    [Fact]
    public async Task State_of_another_container_is_left_alone()
    {
        var state = WriteState("faas-a", """{"id":"faas-b","cgroup_paths":{}}""");
        Assert.False(await runc.TryRemoveStoppedAsync("faas-a"));
        Assert.True(Directory.Exists(state));
    }

    [Theory]
    [InlineData("/tmp/faas-c")]
    [InlineData("/sys/fs/cgroup/memory/other")]
    [InlineData("/sys/fs/cgroup/../../tmp/faas-c")]
    public async Task A_cgroup_path_that_is_not_the_containers_own_is_refused(string cgroup)
    {
        var state = WriteState("faas-c", $$$"""{"id":"faas-c","cgroup_paths":{"memory":"{{{cgroup}}}"}}""");
        Assert.False(await runc.TryRemoveStoppedAsync("faas-c"));
        Assert.True(File.Exists(Path.Combine(state, "state.json")));
    }

    [Fact]
    public async Task Stopped_container_whose_cgroups_are_gone_loses_its_state_folder()
    {
        var state = WriteState("faas-d", """{"id":"faas-d","cgroup_paths":{"":"/sys/fs/cgroup/faas-no-such-parent/faas-d","pids":"/sys/fs/cgroup/pids/faas-no-such-parent/faas-d"}}""");
        Assert.True(await runc.TryRemoveStoppedAsync("faas-d"));
        Assert.False(Directory.Exists(state));
        Assert.Equal(Path.Combine(root, "faas-d"), runc.StateFolder("faas-d"));
    }

    private string WriteState(string containerId, string json)
    {
        var folder = Path.Combine(root, containerId);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "state.json"), json);
        return folder;
    }
}
