namespace BatchAspire.FakeProvider;

/// <summary>
/// <c>/admin</c>: what an in-process test does through <see cref="FakeProviderServer.Options"/>,
/// for a fake running as its own process (switch quota off mid-benchmark, start an outage).
/// </summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapAdminEndpoints(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin").WithTags("Admin");

        admin.MapGet("/options", (FakeProviderOptions options) => TypedResults.Json(options, FakeProviderJson.Options));

        admin.MapPost("/options", async (HttpRequest request, ProviderSimulation simulation) =>
        {
            var patch = await request.ReadFromJsonAsync<FakeProviderOptionsPatch>(FakeProviderJson.Options, request.HttpContext.RequestAborted);
            patch?.ApplyTo(simulation.Options, simulation.Time);
            return TypedResults.Json(simulation.Options, FakeProviderJson.Options);
        });

        admin.MapPost("/reset-limits", (LimitEnforcer limits) =>
        {
            limits.ClearWindows();
            return TypedResults.NoContent();
        });

        return admin;
    }
}
