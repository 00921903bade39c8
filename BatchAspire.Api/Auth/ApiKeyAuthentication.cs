using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using BatchAspire.Api.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace BatchAspire.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>, as the OpenAI SDKs send it, mapped to a tenant. With no tenants
/// configured every caller is the anonymous tenant <c>default</c>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    IOptions<AuthOptions> auth,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "tenant";
    public const string AnonymousTenant = "default";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var tenants = auth.Value.Tenants;
        if (tenants.Count == 0) return Task.FromResult(Success(AnonymousTenant));

        var header = Request.Headers.Authorization.ToString();
        var presentedKey = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : EventStreamToken();
        if (presentedKey is null) return Task.FromResult(AuthenticateResult.NoResult());
        var presented = Encoding.UTF8.GetBytes(presentedKey);
        foreach (var (tenant, options) in tenants)
        {
            if (options.ApiKey is { Length: > 0 } key && CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key)))
            {
                return Task.FromResult(Success(tenant));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("Incorrect API key provided."));
    }

    /// <summary>
    /// Browsers' EventSource cannot send headers, so the SSE endpoint alone also takes the key as
    /// <c>?access_token=</c>. The Api never logs query strings (AuthExtensions) and traces redact them.
    /// </summary>
    private string? EventStreamToken() =>
        HttpMethods.IsGet(Request.Method) && Request.Path.Value?.EndsWith("/events", StringComparison.Ordinal) == true
        && Request.Query.TryGetValue(AccessTokenParameter, out var token) && token.ToString() is { Length: > 0 } t ? t : null;

    public const string AccessTokenParameter = "access_token";

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var hasKey = Request.Headers.Authorization.Count > 0 || EventStreamToken() is not null;
        await ApiErrors.Write(Context, StatusCodes.Status401Unauthorized, new(
            hasKey ? "Incorrect API key provided." : "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.",
            "invalid_request_error", null, hasKey ? "invalid_api_key" : "missing_api_key"));
    }

    private AuthenticateResult Success(string tenant) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(TenantClaim, tenant)], SchemeName)), SchemeName));
}

public static class TenantExtensions
{
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value ?? ApiKeyAuthenticationHandler.AnonymousTenant;
}
