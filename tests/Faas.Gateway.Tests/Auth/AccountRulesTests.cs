using Faas.Gateway.Auth;
using Faas.Gateway.Errors;

namespace Faas.Gateway.Tests.Auth;

public class AccountRulesTests
{
    [Theory]
    [InlineData("ada@example.com")]
    [InlineData(" ada.lovelace+faas@example.co.uk ")]
    public void Plain_addresses_are_accepted_trimmed(string email) => Assert.Equal(email.Trim(), AccountRules.Email(email));

    [Theory]
    [InlineData("")]
    [InlineData("ada")]
    [InlineData("Ada <ada@example.com>")]
    [InlineData("@example.com")]
    public void Anything_else_is_a_bad_request(string email) => Assert.Throws<InvalidRequestException>(() => AccountRules.Email(email));

    [Fact]
    public void Passwords_have_a_minimum_and_a_maximum_length()
    {
        Assert.Throws<InvalidRequestException>(() => AccountRules.Password("short", 12));
        Assert.Throws<InvalidRequestException>(() => AccountRules.Password(new string('x', 1025), 12));
        AccountRules.Password("twelve chars", 12);
    }

    [Theory]
    [InlineData("ada@example.com", "ada")]
    [InlineData("Ada.Lovelace@example.com", "ada-lovelace")]
    [InlineData("42@example.com", "t-42")]
    [InlineData("___@example.com", "t-")]
    public void A_tenant_name_is_made_from_the_address(string email, string tenant) => Assert.Equal(tenant, AccountRules.TenantNameFrom(email));

    [Fact]
    public void A_made_tenant_name_is_a_valid_one()
    {
        foreach (var email in new[] { "ada@example.com", "Ada.Lovelace@example.com", "42@example.com", new string('a', 200) + "@example.com" })
        {
            var name = AccountRules.TenantNameFrom(email);
            if (name != "t-")
            {
                Assert.Equal(name, AccountRules.TenantName(name));
            }
        }
    }

    [Theory]
    [InlineData("bob\n")]
    [InlineData("bob\r\n")]
    public void Tenant_names_with_a_trailing_line_break_are_a_bad_request(string name) =>
        Assert.Throws<InvalidRequestException>(() => AccountRules.TenantName(name));
}
