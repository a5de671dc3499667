using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;

namespace Faas.Gateway.Auth;

/// <summary>What an e-mail address, a password and a tenant name must look like.</summary>
public static class AccountRules
{
    public static string Email(string email)
    {
        email = email.Trim();
        if (email.Length is 0 or > 254 || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
        {
            throw new InvalidRequestException("The e-mail address is not valid.");
        }

        return email;
    }

    public static void Password(string password, int minLength)
    {
        if (password.Length < minLength)
        {
            throw new InvalidRequestException($"The password is too short: use at least {minLength} characters.");
        }

        if (password.Length > 1024)
        {
            throw new InvalidRequestException("The password is too long: use at most 1024 characters.");
        }
    }

    public static string TenantName(string name)
    {
        if (!DeployValidator.NamePattern().IsMatch(name))
        {
            throw new InvalidRequestException(
                $"Tenant name '{(name.Length <= 64 ? name : name[..64] + "…")}' is not valid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter.");
        }

        return name;
    }

    /// <summary>A tenant name made from an e-mail address's local part.</summary>
    public static string TenantNameFrom(string email)
    {
        var local = email[..email.IndexOf('@', StringComparison.Ordinal)].ToLowerInvariant();
        var chars = local.Select(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-').ToArray();
        var name = new string(chars).Trim('-');
        if (name.Length == 0 || name[0] is < 'a' or > 'z')
        {
            name = "t-" + name;
        }

        return name.Length > 55 ? name[..55] : name;
    }
}
