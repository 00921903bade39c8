namespace BatchAspire.Api.Auth;

/// <summary>API keys mapped to tenants. Section <c>BatchAspire:Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "BatchAspire:Auth";

    /// <summary><c>BatchAspire:Auth:Tenants:{tenant}:ApiKey</c>. None configured: one anonymous tenant.</summary>
    public Dictionary<string, TenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Allows anonymous access on a non-loopback address (off: such a start is refused).</summary>
    public bool AllowAnonymous { get; set; }
}

public sealed class TenantOptions
{
    public string? ApiKey { get; set; }
}
