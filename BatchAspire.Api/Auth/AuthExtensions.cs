using System.Net;
using Microsoft.AspNetCore.Authentication;

namespace BatchAspire.Api.Auth;

public static class AuthExtensions
{
    public static WebApplicationBuilder AddApiAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        // "Request starting" logs carry the query string, where the events endpoint may receive ?access_token=.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.Tenants.Count == 0)
        {
            var urls = builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "";
            var exposed = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(u => !IsLoopback(u)).ToList();
            if (exposed.Count > 0 && !auth.AllowAnonymous)
            {
                throw new InvalidOperationException(
                    $"Refusing to serve {string.Join(", ", exposed)} without API keys. Configure BatchAspire:Auth:Tenants:{{tenant}}:ApiKey, " +
                    "or set BatchAspire:Auth:AllowAnonymous=true to accept anonymous callers on a non-loopback address.");
            }
        }
        return builder;
    }

    /// <summary>Logs once at start which way the Api authenticates.</summary>
    public static WebApplication LogAuthMode(this WebApplication app)
    {
        var auth = app.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (auth.Tenants.Count == 0)
        {
            app.Logger.LogWarning("No API keys configured (BatchAspire:Auth:Tenants): serving one anonymous tenant. Configure keys before exposing this Api.");
        }
        return app;
    }

    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("*", "0.0.0.0").Replace("+", "0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}
