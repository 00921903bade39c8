using System.Text.Json;
using BatchAspire.Core.Jobs;
using BatchAspire.Core.Providers;
using BatchAspire.FakeProvider;
using BatchAspire.Tests.Infrastructure;
using BatchAspire.Tests.Providers.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BatchAspire.Tests.Providers;

/// <summary>
/// The real Core service graph with every built-in provider (and an Azure one) pointed at a fake server:
/// items go through submit-time validation, then the provider client, over real HTTP. By default the fake is
/// the shared <see cref="FakeProviderServer"/> (per-request failures by <c>[[fake:kind]]</c> markers in the prompt);
/// <see cref="StartLocalAsync"/> uses the test-local <see cref="FakeLlmServer"/> for what only it does (Azure
/// deployment urls, images, thinking blocks and multi-part answers, Anthropic input/output token headers).
/// </summary>
public sealed class ProviderHarness : IAsyncDisposable
{
    public const string ApiKey = FakeLlmServer.ApiKey;

    /// <summary>The shared fake provider, when started by <see cref="StartAsync"/>.</summary>
    public FakeProviderServer? Server { get; }

    /// <summary>The test-local fake, when started by <see cref="StartLocalAsync"/>.</summary>
    public FakeLlmServer? Local { get; }

    public SentRequests Sent { get; } = new();

    private IHost _host = null!;

    private ProviderHarness(FakeProviderServer? server, FakeLlmServer? local)
    {
        Server = server;
        Local = local;
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

    /// <summary>The root of a running shared fake, without the trailing slash, for <see cref="Settings"/>.</summary>
    public static string Url(FakeProviderServer server) => server.RootUrl.ToString().TrimEnd('/');

    /// <summary>Against the shared fake provider, which requires <see cref="ApiKey"/>.</summary>
    public static async Task<ProviderHarness> StartAsync(FakeProviderOptions? options = null, TimeProvider? time = null)
    {
        options ??= new FakeProviderOptions();
        options.ApiKey ??= ApiKey;
        var server = await FakeProviderServer.StartAsync(options, time);
        return new ProviderHarness(server, null).Build(Url(server));
    }

    public static async Task<ProviderHarness> StartLocalAsync()
    {
        var local = await FakeLlmServer.StartAsync();
        return new ProviderHarness(null, local).Build(local.BaseUrl);
    }

    private ProviderHarness Build(string url)
    {
        _host = TestHost.Build(TestStores.Get("garnet"), TestStores.UniquePrefix(), worker: false, Settings(url),
            s => s.AddHttpClient(ProviderRegistry.HttpClientName).AddHttpMessageHandler(Sent.Handler));
        return this;
    }

    /// <summary>The requests the provider clients sent whose path contains <paramref name="pathPart"/>.</summary>
    public IEnumerable<ReceivedRequest> RequestsTo(string pathPart) => Sent.To(pathPart);

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
        if (Server is not null) await Server.DisposeAsync();
        if (Local is not null) await Local.DisposeAsync();
    }
}
