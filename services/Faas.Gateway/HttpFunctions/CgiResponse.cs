using System.Globalization;
using System.Text;

namespace Faas.Gateway.HttpFunctions;

/// <summary>
/// What an HTTP function answered, read from its stdout as a CGI response (RFC 3875, section 6): header lines (ended by
/// LF or CRLF), a blank line, then the body. <c>Status: 201 Created</c> sets the status; a <c>Location</c> without a
/// <c>Status</c> is a redirect (302); at least one of <c>Content-Type</c>, <c>Location</c> and <c>Status</c> must be
/// there. Headers the gateway owns (hop-by-hop ones, the execution id) and a <c>Content-Length</c> that disagrees with
/// the body are refused, as is anything that is not a header block: <see cref="TryParse"/> says what was wrong, and the
/// caller answers 502 without writing a byte of it.
/// </summary>
public sealed class CgiResponse
{
    /// <summary>Largest header block read (the body is not limited here).</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    /// <summary>Most header lines.</summary>
    public const int MaxHeaders = 100;

    /// <summary>Headers only the gateway sets: hop-by-hop headers (RFC 9110, 7.6.1) and its own.</summary>
    private static readonly HashSet<string> Owned = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "TE", "Trailer", "Upgrade",
        "Proxy-Authenticate", "Proxy-Authorization", "x-execution-id",
    };

    private CgiResponse(int statusCode, string? contentType, IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Headers = headers;
        Body = body;
    }

    public int StatusCode { get; }

    /// <summary>The function's <c>Content-Type</c>; null when it wrote none (then the body, if any, is octet-stream).</summary>
    public string? ContentType { get; }

    /// <summary>Every other header, in order, repeated ones (<c>Set-Cookie</c>) as many times as written.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>Reads <paramref name="output"/>; false with <paramref name="error"/> saying what is wrong with it.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> output, out CgiResponse response, out string error)
    {
        response = null!;
        if (output.IsEmpty)
        {
            error = "the function wrote nothing; an HTTP function writes CGI headers (at least Content-Type, Status or Location), a blank line, then the body";
            return false;
        }

        var span = output.Span;
        var headers = new List<KeyValuePair<string, string>>();
        int? status = null;
        string? contentType = null;
        string? location = null;
        long? contentLength = null;
        var position = 0;
        var lines = 0;
        while (true)
        {
            var newline = span[position..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                error = position == 0 && span.Length <= MaxHeaderBytes
                    ? "the output has no header block: it must start with CGI headers (such as 'Content-Type: text/plain'), then a blank line"
                    : "the header block never ends: a blank line must separate the headers from the body";
                return false;
            }

            var end = position + newline;
            if (end + 1 > MaxHeaderBytes)
            {
                error = $"the header block is longer than {MaxHeaderBytes} bytes";
                return false;
            }

            var line = span[position..(end > position && span[end - 1] == (byte)'\r' ? end - 1 : end)];
            position = end + 1;
            if (line.IsEmpty)
            {
                break;
            }

            if (++lines > MaxHeaders)
            {
                error = $"more than {MaxHeaders} header lines";
                return false;
            }

            if (!TryHeader(line, out var name, out var value, out error))
            {
                return false;
            }

            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                if (status is not null)
                {
                    error = "'Status' is given twice";
                    return false;
                }

                if (!TryStatus(value, out var code))
                {
                    error = $"'Status: {value}' is not a final HTTP status: write a code from 200 to 599, then an optional reason, such as 'Status: 201 Created'";
                    return false;
                }

                status = code;
                continue;
            }

            if (Owned.Contains(name))
            {
                error = $"the header '{name}' is the gateway's to set; leave it out";
                return false;
            }

            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (contentLength is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                {
                    error = $"'Content-Length: {value}' is not one whole number";
                    return false;
                }

                contentLength = length;
                continue;
            }

            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                if (contentType is not null)
                {
                    error = "'Content-Type' is given twice";
                    return false;
                }

                contentType = value;
                continue;
            }

            if (name.Equals("Location", StringComparison.OrdinalIgnoreCase))
            {
                if (location is not null)
                {
                    error = "'Location' is given twice";
                    return false;
                }

                location = value;
            }

            headers.Add(new(name, value));
        }

        if (status is null && contentType is null && location is null)
        {
            error = "the header block has none of Content-Type, Status and Location; an HTTP function's response needs at least one";
            return false;
        }

        var body = output[position..];
        if (contentLength is { } declared && declared != body.Length)
        {
            error = $"'Content-Length: {declared}' disagrees with the {body.Length} bytes of the body; leave it out and the gateway sets it";
            return false;
        }

        var statusCode = status ?? (location is not null ? 302 : 200);
        if (statusCode is 204 or 304 && !body.IsEmpty)
        {
            error = $"a {statusCode} response has no body, but the function wrote {body.Length} bytes after the headers";
            return false;
        }

        response = new CgiResponse(statusCode, contentType, headers, body);
        error = "";
        return true;
    }

    private static bool TryHeader(ReadOnlySpan<byte> line, out string name, out string value, out string error)
    {
        name = value = "";
        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            error = $"'{Printable(line)}' is not a header line (name: value)";
            return false;
        }

        foreach (var b in line[..colon])
        {
            if (!IsTokenChar(b))
            {
                error = $"'{Printable(line[..colon])}' is not a valid header name";
                return false;
            }
        }

        var raw = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in raw)
        {
            // Field values (RFC 9110, 5.5): visible characters, spaces and tabs; no control characters. The server writes
            // ASCII only (obs-text, bytes from 0x80, has no agreed meaning), so those are refused too.
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                error = $"the value of '{Encoding.ASCII.GetString(line[..colon])}' holds a control character";
                return false;
            }

            if (b >= 0x80)
            {
                error = $"the value of '{Encoding.ASCII.GetString(line[..colon])}' holds a byte that is not ASCII; percent-encode it (RFC 3986) or use RFC 8187 for parameters";
                return false;
            }
        }

        name = Encoding.ASCII.GetString(line[..colon]);
        value = Encoding.ASCII.GetString(raw);
        error = "";
        return true;
    }

    private static bool TryStatus(string value, out int code)
    {
        code = 0;
        var digits = value.Length >= 3 ? value.AsSpan(0, 3) : [];
        return (value.Length == 3 || (value.Length > 3 && value[3] == ' '))
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out code)
            && code is >= 200 and <= 599;
    }

    /// <summary>tchar (RFC 9110, 5.6.2).</summary>
    private static bool IsTokenChar(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    /// <summary>A line as it may be quoted in an error: at most 60 characters, control characters as '?'.</summary>
    private static string Printable(ReadOnlySpan<byte> line)
    {
        var text = Encoding.Latin1.GetString(line[..Math.Min(line.Length, 60)]);
        return string.Create(text.Length, text, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                chars[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        }) + (line.Length > 60 ? "…" : "");
    }
}
