using Faas.Gateway.Deployment;
using Faas.Gateway.Errors;

namespace Faas.Gateway.Auth;

/// <summary>What an e-mail address, a password and a tenant name must look like.</summary>
public static class AccountRules
{
    public const int MaxEmailLength = 254;
    public const int MaxPasswordLength = 1024;

    public static string Email(string email)
    {
        email = email.Trim();
        if (email.Length is 0 or > MaxEmailLength || !System.Net.Mail.MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
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

        if (password.Length > MaxPasswordLength)
        {
            throw new InvalidRequestException($"The password is too long: use at most {MaxPasswordLength} characters.");
        }
    }

    /// <summary>What a login may present: longer than any address or password an account can have is a bad request.</summary>
    public static void Credentials(string email, string password)
    {
        if (email.Length > MaxEmailLength || password.Length > MaxPasswordLength)
        {
            throw new InvalidRequestException($"An e-mail address has at most {MaxEmailLength} characters and a password at most {MaxPasswordLength}.");
        }
    }

    public static string TenantName(string name)
    {
        if (!DeployValidator.NamePattern().IsMatch(name))
        {
            throw new InvalidRequestException(
                $"Tenant name '{Echo.Short(name)}' is not valid: use 1 to 63 characters of a-z, 0-9 and '-', starting with a letter.");
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
