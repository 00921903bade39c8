using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.Tests.Infrastructure;
using BatchAspire.Tests.Providers.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.Providers;

/// <summary>
/// The real Core service graph with every built-in provider (and an Azure one) pointed at the fake server:
/// items go through submit-time validation, then the provider client, over real HTTP.
/// </summary>
public sealed class ProviderHarness : IAsyncDisposable
{
    public FakeLlmServer Fake { get; }
    private readonly IHost _host;

    private ProviderHarness(FakeLlmServer fake, IHost host)
    {
        Fake = fake;
        _host = host;
    }

    public static Dictionary<string, string?> Settings(string fakeUrl, string key = FakeLlmServer.ApiKey) => new()
    {
        ["BatchAspire:Providers:openai:BaseUrl"] = fakeUrl + "/v1",
        ["BatchAspire:Providers:openai:ApiKey"] = key,
        ["BatchAspire:Providers:anthropic:BaseUrl"] = fakeUrl + "/v1",
        ["BatchAspire:Providers:anthropic:ApiKey"] = key,
        ["BatchAspire:Providers:gemini:BaseUrl"] = fakeUrl + "/v1beta",
        ["BatchAspire:Providers:gemini:ApiKey"] = key,
        ["BatchAspire:Providers:azure:Type"] = "azure-openai",
        ["BatchAspire:Providers:azure:BaseUrl"] = fakeUrl,
        ["BatchAspire:Providers:azure:ApiKey"] = key,
        ["BatchAspire:Providers:azure:Models:0"] = "azure-*",
        ["BatchAspire:Providers:azure:Deployments:azure-gpt-4o"] = "prod-gpt4o",
    };

    public static async Task<ProviderHarness> StartAsync()
    {
        var fake = await FakeLlmServer.StartAsync();
        var host = TestHost.Build(TestStores.Get("garnet"), TestStores.UniquePrefix(), worker: false, Settings(fake.BaseUrl));
        return new ProviderHarness(fake, host);
    }

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>Validates one item as a submission would, or returns the submission's error.</summary>
    public (StoredItem? Item, BatchError? Error) Validate(string model, string body, string? url = null)
    {
        var request = new JobRequest
        {
            Model = model,
            Items = [new JobItemRequest { CustomId = "c1", Url = url, Body = JsonDocument.Parse(body).RootElement }],
        };
        var (job, error) = Get<JobSubmission>().Validate("tenant", request);
        return (job?.Items[0], error);
    }

    public async Task<ProviderResponse> SendAsync(string model, string body, string? url = null)
    {
        var (item, error) = Validate(model, body, url);
        Assert.Null(error);
        var request = new ProviderRequest("job_0", item!.CustomId, new ModelRoute(item.Provider, item.Model), item.Url, item.Body);
        return await Get<ProviderRegistry>().GetClient(item.Provider).SendAsync(request, CancellationToken.None);
    }

    public static JsonElement Json(ProviderResponse response) => JsonDocument.Parse(response.Body!).RootElement;

    public async ValueTask DisposeAsync()
    {
        _host.Dispose();
        await Fake.DisposeAsync();
    }
}
