using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Api;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;

namespace Faas.EndToEnd.Tests.Auth;

/// <summary>
/// The public API as the protos declare it: every method of every public service, callable over gRPC (by its
/// descriptor) and over REST (by its <c>google.api.http</c> rule), so tests can sweep all of them and a new method
/// cannot slip through untested.
/// </summary>
public static class ApiSurface
{
    /// <summary>Every public service of the gateway.</summary>
    public static IReadOnlyList<ServiceDescriptor> PublicServices { get; } =
    [
        Protos.V1.Functions.Descriptor,
        Protos.V1.Invocations.Descriptor,
        Protos.V1.Executions.Descriptor,
        Protos.V1.Logs.Descriptor,
        Protos.V1.Auth.Descriptor,
        Protos.V1.Admin.Descriptor,
        Protos.V1.SinkAdmin.Descriptor,
    ];

    /// <summary>Every internal service, served by the scheduler, the workers, the compiler and the sink manager.</summary>
    public static IReadOnlyList<ServiceDescriptor> InternalServices { get; } =
    [
        Protos.V1.Scheduler.Descriptor,
        Protos.V1.PushedSink.Descriptor,
        Protos.V1.Compiler.Descriptor,
        Protos.V1.SinkDirectory.Descriptor,
        Protos.V1.SinkAdmin.Descriptor,
    ];

    /// <summary>The calls anyone may make.</summary>
    public static IReadOnlySet<string> Open { get; } = new HashSet<string> { "faas.v1.Auth.Register", "faas.v1.Auth.Login" };

    public static IEnumerable<MethodDescriptor> PublicMethods => PublicServices.SelectMany(s => s.Methods);

    /// <summary>
    /// A request of the method's input type with every top-level string field set (so REST routes with path
    /// parameters match): enough to reach the method, meaningless to it.
    /// </summary>
    public static IMessage ProbeRequest(MethodDescriptor method)
    {
        var request = method.InputType.Parser.ParseFrom(ByteString.Empty);
        foreach (var field in method.InputType.Fields.InDeclarationOrder().Where(f => f.FieldType == FieldType.String && !f.IsRepeated))
        {
            field.Accessor.SetValue(request, field.Name == "id" ? Guid.NewGuid().ToString() : "probe");
        }

        return request;
    }

    /// <summary>
    /// Calls a method over gRPC (a server stream is read to its end) and returns the status it ended with and the response
    /// (when OK; a stream's last message).
    /// </summary>
    public static async Task<(StatusCode Status, string Detail, IMessage? Response)> CallGrpcAsync(GrpcChannel channel, MethodDescriptor method, IMessage request)
    {
        var call = new Method<IMessage, IMessage>(
            method.IsServerStreaming && !method.IsClientStreaming ? MethodType.ServerStreaming : MethodType.Unary, method.Service.FullName, method.Name,
            Marshallers.Create<IMessage>(m => m.ToByteArray(), b => method.InputType.Parser.ParseFrom(b)),
            Marshallers.Create<IMessage>(m => m.ToByteArray(), b => method.OutputType.Parser.ParseFrom(b)));
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30));
        try
        {
            if (call.Type == MethodType.ServerStreaming)
            {
                using var stream = channel.CreateCallInvoker().AsyncServerStreamingCall(call, null, options, request);
                IMessage? last = null;
                while (await stream.ResponseStream.MoveNext(CancellationToken.None))
                {
                    last = stream.ResponseStream.Current;
                }

                return (StatusCode.OK, "", last);
            }

            var response = await channel.CreateCallInvoker().AsyncUnaryCall(call, null, options, request);
            return (StatusCode.OK, "", response);
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail, null);
        }
    }

    /// <summary>Calls a method over its REST route, filling the path from the request's fields.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> CallRestAsync(HttpClient client, MethodDescriptor method, IMessage request, string? bearer = null)
    {
        var (verb, path, rule) = Route(method, request);

        using var message = new HttpRequestMessage(verb, path);
        if (bearer is not null)
        {
            message.Headers.Authorization = bearer.Length == 0 ? null : new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (rule.Body == "*")
        {
            message.Content = new StringContent(JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json");
        }
        else if (rule.Body.Length > 0)
        {
            var field = method.InputType.FindFieldByName(rule.Body);
            var value = field.Accessor.GetValue(request) as IMessage;
            message.Content = value is HttpBody body
                ? new ByteArrayContent(body.Data.ToByteArray())
                : new StringContent(value is null ? "{}" : JsonFormatter.Default.Format(value), Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(message);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The method's REST verb and path, the path (and a GET's query) filled from the request's fields.</summary>
    public static (HttpMethod Verb, string Path, HttpRule Rule) Route(MethodDescriptor method, IMessage request)
    {
        var rule = method.GetOptions().GetExtension(AnnotationsExtensions.Http)
            ?? throw new InvalidOperationException($"{method.FullName} has no REST route.");
        var (verb, template) = rule.PatternCase switch
        {
            HttpRule.PatternOneofCase.Get => (HttpMethod.Get, rule.Get),
            HttpRule.PatternOneofCase.Post => (HttpMethod.Post, rule.Post),
            HttpRule.PatternOneofCase.Put => (HttpMethod.Put, rule.Put),
            HttpRule.PatternOneofCase.Delete => (HttpMethod.Delete, rule.Delete),
            HttpRule.PatternOneofCase.Patch => (HttpMethod.Patch, rule.Patch),
            _ => throw new InvalidOperationException($"{method.FullName} has an unsupported route."),
        };

        var pathFields = new HashSet<string>();
        var path = System.Text.RegularExpressions.Regex.Replace(template, @"\{([a-z_]+)\}", match =>
        {
            var field = method.InputType.FindFieldByName(match.Groups[1].Value);
            pathFields.Add(field.Name);
            return Uri.EscapeDataString(field.Accessor.GetValue(request)?.ToString() ?? "");
        });

        if (rule.Body != "*" && verb == HttpMethod.Get)
        {
            var query = method.InputType.Fields.InDeclarationOrder()
                .Where(f => !pathFields.Contains(f.Name) && f.FieldType is FieldType.String && f.Accessor.GetValue(request) is string { Length: > 0 })
                .Select(f => $"{f.JsonName}={Uri.EscapeDataString((string)f.Accessor.GetValue(request))}");
            var joined = string.Join('&', query);
            if (joined.Length > 0)
            {
                path += "?" + joined;
            }
        }

        return (verb, path, rule);
    }
}
