using Faas.ServiceDefaults.ServiceIdentity;

namespace Faas.Gateway.Auth;

/// <summary>Gateway wording of authentication failures (written by <see cref="AuthFailureResponse"/>).</summary>
public static class AuthResponses
{
    /// <summary>Why authentication failed, in words fit for the caller.</summary>
    public static string Describe(Exception? failure, bool tokenPresented) => failure switch
    {
        null when !tokenPresented => "Authentication required: send 'Authorization: Bearer <token or API key>'.",
        null => "The bearer token is not valid.",
        Microsoft.IdentityModel.Tokens.SecurityTokenExpiredException => "The token has expired; log in again.",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidSignatureException or Microsoft.IdentityModel.Tokens.SecurityTokenSignatureKeyNotFoundException =>
            "The token's signature is not valid.",
        Microsoft.IdentityModel.Tokens.SecurityTokenInvalidAudienceException or Microsoft.IdentityModel.Tokens.SecurityTokenInvalidIssuerException =>
            "The token was not issued for this API.",
        Microsoft.IdentityModel.Tokens.SecurityTokenMalformedException or ArgumentException => "The bearer token is malformed.",
        { Message: var message } when failure.GetType() == typeof(Exception) || failure is Microsoft.AspNetCore.Authentication.AuthenticationFailureException => message,
        _ => "The bearer token is not valid.",
    };
}
