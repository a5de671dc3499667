using Google.Protobuf;
using Grpc.Core;

namespace Faas.ServiceDefaults.RequestParsing;

/// <summary>
/// A request message that does not parse (invalid UTF-8 in a string, a field longer than the message, a wire type that
/// does not exist) ends its call with INVALID_ARGUMENT and the parser's one-line reason. grpc-dotnet parses a request
/// before any interceptor runs and would report the failure as UNKNOWN, with the exception's text when detailed errors
/// are on; so the methods are bound with their request marshaller wrapped (<see cref="ParsingServiceMethodProvider{TService}"/>).
/// </summary>
public static class RequestParsing
{
    /// <summary>The same method with a request marshaller whose parse failures are INVALID_ARGUMENT.</summary>
    public static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class =>
        new(method.Type, method.ServiceName, method.Name, Strict(method.RequestMarshaller), method.ResponseMarshaller);

    private static Marshaller<T> Strict<T>(Marshaller<T> marshaller)
    {
        var deserialize = marshaller.ContextualDeserializer;
        return new Marshaller<T>(marshaller.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"The request is not a valid {typeof(T).Name} message: {e.Message}"));
            }
        });
    }
}
