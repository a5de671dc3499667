using System.Text;
using Faas.Gateway.HttpFunctions;

namespace Faas.Gateway.Tests.HttpFunctions;

/// <summary>An HTTP function's stdout read as a CGI response: what is taken, and what is refused with a reason.</summary>
public sealed class CgiResponseTests
{
    private static CgiResponse Parse(string output)
    {
        Assert.True(CgiResponse.TryParse(Encoding.UTF8.GetBytes(output), out var response, out var error), error);
        return response;
    }

    private static string Refused(string output) => Refused(Encoding.UTF8.GetBytes(output));

    private static string Refused(byte[] output)
    {
        Assert.False(CgiResponse.TryParse(output, out _, out var error));
        Assert.NotEmpty(error);
        return error;
    }

    [Fact]
    public void A_content_type_and_a_body_is_a_200()
    {
        var response = Parse("Content-Type: application/json\n\n{\"ok\":true}");

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/json", response.ContentType);
        Assert.Empty(response.Headers);
        Assert.Equal("{\"ok\":true}", Encoding.UTF8.GetString(response.Body.Span));
    }

    [Fact]
    public void Crlf_line_ends_are_read_as_lf_ones_and_the_body_is_kept_byte_for_byte()
    {
        var response = Parse("Status: 201 Created\r\nContent-Type: text/plain\r\nX-Id: 7\r\n\r\nline 1\r\nline 2\n");

        Assert.Equal(201, response.StatusCode);
        Assert.Equal([new("X-Id", "7")], response.Headers);
        Assert.Equal("line 1\r\nline 2\n", Encoding.UTF8.GetString(response.Body.Span));
    }

    [Theory]
    [InlineData("Location: /s/abc\n\n", 302)]
    [InlineData("Status: 301 Moved Permanently\nLocation: https://example.test/\n\n", 301)]
    [InlineData("Status: 404\nContent-Type: text/plain\n\nno such link", 404)]
    [InlineData("Status: 204 No Content\n\n", 204)]
    public void Status_and_location_decide_the_status(string output, int status)
    {
        var response = Parse(output);

        Assert.Equal(status, response.StatusCode);
    }

    [Fact]
    public void A_location_is_passed_on_and_repeated_headers_stay_repeated()
    {
        var response = Parse("Location: /s/abc\nSet-Cookie: a=1\nSet-Cookie: b=2; HttpOnly\n\n");

        Assert.Equal(
            [new("Location", "/s/abc"), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2; HttpOnly")],
            response.Headers);
        Assert.True(response.Body.IsEmpty);
    }

    [Fact]
    public void A_content_length_that_agrees_is_accepted()
    {
        var response = Parse("Content-Type: text/plain\nContent-Length: 5\n\nhello");

        Assert.Equal(5, response.Body.Length);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Content-Length");
    }

    [Fact]
    public void Nothing_written_is_refused()
    {
        Assert.Contains("wrote nothing", Refused(""));
    }

    [Theory]
    [InlineData("hello world")]
    [InlineData("{\"not\": \"cgi\"}\n")]
    [InlineData("hello world\n\nbody")]
    public void Output_that_is_not_a_header_block_is_refused(string output)
    {
        Refused(output);
    }

    [Fact]
    public void A_header_block_without_its_blank_line_is_refused()
    {
        Assert.Contains("blank line", Refused("Content-Type: text/plain\nX-A: 1\n"));
    }

    [Fact]
    public void A_header_block_with_none_of_the_cgi_fields_is_refused()
    {
        Assert.Contains("Content-Type, Status and Location", Refused("X-Only: 1\n\nbody"));
        Assert.Contains("Content-Type, Status and Location", Refused("\nbody"));
    }

    [Theory]
    [InlineData("Connection: close")]
    [InlineData("Transfer-Encoding: chunked")]
    [InlineData("keep-alive: timeout=5")]
    [InlineData("Upgrade: websocket")]
    [InlineData("TE: trailers")]
    [InlineData("Trailer: X-Sum")]
    [InlineData("x-execution-id: 0190b0c0-0000-7000-8000-000000000000")]
    public void Headers_the_gateway_owns_are_refused(string header)
    {
        var name = header[..header.IndexOf(':')];

        Assert.Contains($"'{name}' is the gateway's", Refused($"Content-Type: text/plain\n{header}\n\nbody"));
    }

    [Theory]
    [InlineData("Content-Length: 4")]
    [InlineData("Content-Length: 99")]
    [InlineData("Content-Length: -5")]
    [InlineData("Content-Length: 5, 5")]
    public void A_content_length_that_disagrees_or_is_not_a_number_is_refused(string header)
    {
        Refused($"Content-Type: text/plain\n{header}\n\nhello");
    }

    [Theory]
    [InlineData("Status: 99")]
    [InlineData("Status: 100 Continue")]
    [InlineData("Status: 600")]
    [InlineData("Status: OK")]
    [InlineData("Status: 2000")]
    [InlineData("Status: 20")]
    public void A_status_that_is_not_a_final_http_status_is_refused(string header)
    {
        Assert.Contains("not a final HTTP status", Refused($"{header}\nContent-Type: text/plain\n\n"));
    }

    [Theory]
    [InlineData("Status: 200\nStatus: 201\n\n")]
    [InlineData("Content-Type: a/b\nContent-Type: c/d\n\n")]
    [InlineData("Location: /a\nLocation: /b\n\n")]
    public void A_field_that_may_appear_once_given_twice_is_refused(string output)
    {
        Assert.Contains("twice", Refused(output));
    }

    [Theory]
    [InlineData("Bad Name: x")]
    [InlineData(": no name")]
    [InlineData("X(y): 1")]
    public void A_malformed_header_name_is_refused(string header)
    {
        Refused($"Content-Type: text/plain\n{header}\n\n");
    }

    [Fact]
    public void A_control_character_in_a_value_is_refused()
    {
        Assert.Contains("control character", Refused("Content-Type: text/plain\nX-A: a\u0001b\n\n"));
    }

    [Fact]
    public void A_byte_that_is_not_ascii_in_a_value_is_refused()
    {
        Assert.Contains("not ASCII", Refused("Content-Type: text/plain\nX-Name: café\n\n"));
    }

    [Fact]
    public void A_body_on_a_response_that_has_none_is_refused()
    {
        Assert.Contains("no body", Refused("Status: 204\n\nsurprise"));
        Assert.Contains("no body", Refused("Status: 304 Not Modified\n\nsurprise"));
    }

    [Fact]
    public void An_endless_header_block_is_refused_at_its_limit()
    {
        var output = "Content-Type: text/plain\n" + string.Concat(Enumerable.Repeat("X-Pad: " + new string('a', 1000) + "\n", 70)) + "\nbody";

        Assert.Contains($"longer than {CgiResponse.MaxHeaderBytes}", Refused(output));
    }

    [Fact]
    public void More_header_lines_than_allowed_are_refused()
    {
        var output = "Content-Type: text/plain\n" + string.Concat(Enumerable.Range(0, CgiResponse.MaxHeaders).Select(i => $"X-{i}: {i}\n")) + "\n";

        Assert.Contains($"more than {CgiResponse.MaxHeaders}", Refused(output));
    }

    [Fact]
    public void A_binary_body_after_the_headers_is_kept_as_written()
    {
        var body = new byte[] { 0, 1, 2, 255, (byte)'\n', (byte)'\n', 0 };
        var output = Encoding.ASCII.GetBytes("Content-Type: application/octet-stream\n\n").Concat(body).ToArray();

        Assert.True(CgiResponse.TryParse(output, out var response, out var error), error);
        Assert.Equal(body, response.Body.ToArray());
    }

    [Fact]
    public void Values_are_trimmed_and_may_hold_colons()
    {
        var response = Parse("Content-Type:   text/html; charset=utf-8  \nX-Url:\thttp://127.0.0.1:8080/a\n\n");

        Assert.Equal("text/html; charset=utf-8", response.ContentType);
        Assert.Equal([new("X-Url", "http://127.0.0.1:8080/a")], response.Headers);
    }
}
