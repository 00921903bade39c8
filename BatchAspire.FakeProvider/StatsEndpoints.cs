namespace BatchAspire.FakeProvider;

/// <summary><c>GET /stats</c> and <c>POST /stats/reset</c>: what the referee saw.</summary>
internal static class StatsEndpoints
{
    public static RouteGroupBuilder MapStatsEndpoints(this IEndpointRouteBuilder routes)
    {
        var stats = routes.MapGroup("/stats").WithTags("Stats");

        stats.MapGet("/", (FakeProviderStats counters, LimitEnforcer limits) =>
            TypedResults.Json(counters.Snapshot(limits.InFlight), FakeProviderJson.Options));

        stats.MapPost("/reset", (FakeProviderStats counters) =>
        {
            counters.Reset();
            return TypedResults.NoContent();
        });

        return stats;
    }
}
