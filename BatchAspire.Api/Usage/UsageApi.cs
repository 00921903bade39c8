using System.Security.Claims;
using BatchAspire.Api.Auth;
using BatchAspire.Core.Pricing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace BatchAspire.Api.Usage;

/// <summary><c>GET /api/usage</c>: the caller's tenant's tokens and cost over all its jobs.</summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/usage").WithTags("Usage").RequireAuthorization();
        group.MapGet("/", Get).WithSummary("This tenant's tokens and cost over all its jobs.");
        return group;
    }

    public static async Task<Ok<TenantUsage>> Get(ClaimsPrincipal user, TenantUsageStore usage) =>
        TypedResults.Ok(await usage.GetAsync(user.Tenant()));
}
