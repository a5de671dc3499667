using System.Text;
using Faas.ServiceDefaults.Errors;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using StatusCode = Grpc.Core.StatusCode;

namespace Faas.Gateway.Http;

/// <summary>
/// Checks a REST request before JSON transcoding reads it, where transcoding would get it wrong: a charset it cannot
/// decode was a 500 carrying the exception's text, a body over the server's limit a 400, and a field the message does not
/// have was skipped (a typo such as <c>timeoutMS</c> deployed the defaults). They are 415, 413 and 400 naming the field,
/// as strict field validation in Kubernetes does.
/// </summary>
public static class RestRequestChecks
{
    private const int MaxEchoedLength = 200;

    // Unknown fields are errors: the parser's default, unlike transcoding's.
    private static readonly JsonParser StrictJson = new(JsonParser.Settings.Default);

    public static IApplicationBuilder UseRestRequestChecks(this IApplicationBuilder app) => app.Use(CheckAsync);

    private static async Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is not { } route)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var request = context.Request;
        if (!TryGetEncoding(request, out var encoding, out var charset))
        {
            await ErrorResponse.WriteAsync(context, StatusCode.InvalidArgument, StatusCodes.Status415UnsupportedMediaType,
                $"Unsupported charset '{Echo(charset)}' in Content-Type; send the body as UTF-8.").ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > MaxBodySize(context))
        {
            await TooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        var problem = BodyMessage(route.MethodDescriptor, route.HttpRule) switch
        {
            null => null,
            { FullName: var name } when name == HttpBody.Descriptor.FullName => await BufferUnknownLengthAsync(request).ConfigureAwait(false),
            var message => await ParseStrictlyAsync(request, message, encoding).ConfigureAwait(false),
        };

        if (problem is not null)
        {
            await ErrorResponse.WriteAsync(context, problem.Status, problem.HttpStatus, problem.Message).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>The charset transcoding will decode the body with; false when it names none .NET knows.</summary>
    private static bool TryGetEncoding(HttpRequest request, out Encoding encoding, out string charset)
    {
        encoding = Encoding.UTF8;
        charset = "";
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) || !mediaType.Charset.HasValue
            || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        charset = mediaType.Charset.Value!;
        try
        {
            encoding = Encoding.GetEncoding(charset);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The message a route's body holds: the whole request (<c>body: "*"</c>), one field of it, or none.</summary>
    private static MessageDescriptor? BodyMessage(MethodDescriptor method, HttpRule rule) => rule.Body switch
    {
        "" => null,
        "*" => method.InputType,
        var field => method.InputType.FindFieldByName(field)?.MessageType,
    };

    /// <summary>
    /// A raw body of unknown length (chunked) is read here, so that going over the size limit is a 413 rather than the
    /// 400 transcoding would make of it; transcoding then reads the buffered copy.
    /// </summary>
    private static async Task<Refusal?> BufferUnknownLengthAsync(HttpRequest request)
    {
        if (request.ContentLength is not null)
        {
            return null;
        }

        request.EnableBuffering();
        try
        {
            await request.Body.DrainAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(request.HttpContext);
        }

        request.Body.Position = 0;
        return null;
    }

    /// <summary>Parses a JSON body as its message with unknown fields refused; transcoding then reads the buffered copy.</summary>
    private static async Task<Refusal?> ParseStrictlyAsync(HttpRequest request, MessageDescriptor message, Encoding encoding)
    {
        if (request.ContentLength == 0 || !IsJson(request))
        {
            return null; // transcoding answers an empty body or another content type itself
        }

        request.EnableBuffering();
        try
        {
            await request.Body.DrainAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            request.Body.Position = 0;
            // Drained into the buffer: the parser's synchronous reads do no I/O on the connection.
            using var reader = new StreamReader(request.Body, encoding, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            if (reader.Peek() >= 0)
            {
                StrictJson.Parse(reader, message);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(request.HttpContext);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
        {
            return new Refusal(StatusCode.InvalidArgument, StatusCodes.Status400BadRequest, $"The request body is not valid: {Echo(e.Message)}");
        }
        finally
        {
            request.Body.Position = 0;
        }

        return null;
    }

    private static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
        && (mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));

    private static long? MaxBodySize(HttpContext context) => context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;

    private static Refusal TooLarge(HttpContext context) =>
        new(StatusCode.ResourceExhausted, StatusCodes.Status413PayloadTooLarge, $"Request body too large: the limit is {MaxBodySize(context)} bytes.");

    private static Task TooLargeAsync(HttpContext context)
    {
        var refusal = TooLarge(context);
        return ErrorResponse.WriteAsync(context, refusal.Status, refusal.HttpStatus, refusal.Message);
    }

    private sealed record Refusal(StatusCode Status, int HttpStatus, string Message);

    private static string Echo(string text) => text.Length <= MaxEchoedLength ? text : text[..MaxEchoedLength] + "…";
}
