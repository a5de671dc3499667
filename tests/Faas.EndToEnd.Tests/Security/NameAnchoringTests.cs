using System.Net;
using System.Net.Http.Json;

namespace Faas.EndToEnd.Tests.Security;

/// <summary>
/// Names are checked against patterns anchored at the true end of the text: a trailing line break would otherwise pass
/// (a regular expression's <c>$</c> matches before a final newline) and let <c>bob</c> and <c>bob\n</c> coexist.
/// </summary>
[Collection(MeshCollection.Name)]
[Trait("Category", "Integration")]
public sealed class NameAnchoringTests(MeshFixture mesh)
{
    private const string Password = "correct horse battery staple";

    [Fact]
    public async Task Tenant_name_with_a_trailing_newline_is_400()
    {
        using var anonymous = mesh.App.CreateHttpClient("gateway", "http", bearer: "");
        using var response = await anonymous.PostAsJsonAsync(
            "/v1/auth:register", new { email = $"nl-{Guid.NewGuid():N}@example.com", password = Password, tenant = "nl\n" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Tenant name", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("nl\n", null)]
    [InlineData("nl-env", "FOO\n")]
    public async Task Function_and_variable_names_with_a_trailing_newline_are_400(string name, string? variable)
    {
        using var response = await mesh.Rest.PostAsJsonAsync("/v1/functions", new
        {
            name,
            language = "wat",
            source = MeshFixture.Wat("echo"),
            config = new { env = variable is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [variable] = "1" } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid", await response.Content.ReadAsStringAsync());
    }
}
