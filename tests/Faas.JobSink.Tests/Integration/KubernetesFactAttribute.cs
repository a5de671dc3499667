namespace Faas.JobSink.Tests.Integration;

/// <summary>
/// A test that needs a Kubernetes cluster: it runs when <c>FAAS_TEST_K8S_IMAGE</c> names an image holding the
/// job runner and a kubeconfig is found (<c>KUBECONFIG</c> or <c>~/.kube/config</c>); otherwise it is skipped,
/// and the skip reason says so.
/// </summary>
public sealed class KubernetesFactAttribute : FactAttribute
{
    public static string? Image => Environment.GetEnvironmentVariable("FAAS_TEST_K8S_IMAGE");

    public static string Kubeconfig =>
        Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } path
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    public KubernetesFactAttribute()
    {
        if (string.IsNullOrEmpty(Image) || !File.Exists(Kubeconfig))
        {
            Skip = "No Kubernetes cluster configured: set FAAS_TEST_K8S_IMAGE (an image with /bin/faas-job-runner) and KUBECONFIG to run the Kubernetes launcher against a real cluster.";
        }
    }
}
