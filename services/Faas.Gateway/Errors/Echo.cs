namespace Faas.Gateway.Errors;

/// <summary>A caller's input quoted in an error message: cut short, so an oversized value never makes an oversized error.</summary>
public static class Echo
{
    public const int MaxLength = 64;

    public static string Short(string value) => value.Length <= MaxLength ? value : value[..MaxLength] + "…";
}
