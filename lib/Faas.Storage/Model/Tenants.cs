namespace Faas.Storage.Model;

public static class Tenants
{
    /// <summary>The single tenant every function belongs to until authentication arrives.</summary>
    public static readonly Guid Default = Guid.Parse("00000000-0000-0000-0000-000000000001");
}
