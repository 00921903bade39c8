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
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Task.FromResult(AuthenticateResult.NoResult());
        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        foreach (var (tenant, options) in tenants)
        {
            if (options.ApiKey is { Length: > 0 } key && CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(key)))
            {
                return Task.FromResult(Success(tenant));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("Incorrect API key provided."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var hasKey = Request.Headers.Authorization.Count > 0;
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
