using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using BatchAspire.Cli.Input;
using BatchAspire.Core;
using BatchAspire.Core.Jobs;

namespace BatchAspire.Cli.Server;

/// <summary>A job as the server sent it: parsed, and the raw JSON for <c>--json</c>.</summary>
public sealed record JobReply(Job Job, string Json);

public sealed record JobListReply(IReadOnlyList<Job> Data, bool HasMore, string Json);

/// <summary>The native API (<c>/api/jobs</c>) over HTTP, with every failure turned into a message a person can act on.</summary>
public sealed class BatchAspireClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ServerSettings _settings;

    public BatchAspireClient(ServerSettings settings)
    {
        _settings = settings;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            // A trailing slash keeps a path prefix (https://host/batch/) when relative paths are resolved.
            BaseAddress = new Uri(settings.Url.ToString().TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("batchaspire-cli", "0.1"));
        if (settings.ApiKey is not null) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
    }

    public async Task<JobReply> SubmitAsync(string? model, string? mode, IReadOnlyList<InputItem> items, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        using var content = new JobRequestContent(model, mode, items, metadata);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var json = await SendAsync(HttpMethod.Post, "api/jobs", content, cancellationToken);
        return Parse(json);
    }

    public async Task<JobReply> GetJobAsync(string id, CancellationToken cancellationToken) =>
        Parse(await SendAsync(HttpMethod.Get, $"api/jobs/{Uri.EscapeDataString(id)}", null, cancellationToken));

    public async Task<JobReply> CancelAsync(string id, CancellationToken cancellationToken) =>
        Parse(await SendAsync(HttpMethod.Post, $"api/jobs/{Uri.EscapeDataString(id)}/cancel", null, cancellationToken));

    public async Task<JobListReply> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        var query = $"api/jobs?limit={limit}" + (status is null ? "" : $"&status={Uri.EscapeDataString(status)}");
        var json = await SendAsync(HttpMethod.Get, query, null, cancellationToken);
        var page = JsonSerializer.Deserialize<JobPageBody>(json, BatchJson.Options)!;
        return new JobListReply(page.Data ?? [], page.HasMore, json);
    }

    /// <summary>The job's Server-Sent Events: (event type, job) until the server ends the stream.</summary>
    public async IAsyncEnumerable<(string Event, JobReply Reply)> EventsAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await OpenAsync($"api/jobs/{Uri.EscapeDataString(id)}/events", cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var parser = SseParser.Create(stream, (_, data) => Encoding.UTF8.GetString(data));
        await foreach (var item in parser.EnumerateAsync(cancellationToken))
        {
            if (item.EventType is "progress" or "done") yield return (item.EventType, Parse(item.Data));
        }
    }

    /// <summary>The NDJSON results stream; <paramref name="wait"/> follows the job until it ends.</summary>
    public async Task<(HttpResponseMessage Response, Stream Body)> ResultsAsync(string id, bool wait, CancellationToken cancellationToken)
    {
        var response = await OpenAsync($"api/jobs/{Uri.EscapeDataString(id)}/results{(wait ? "?wait=true" : "")}", cancellationToken);
        return (response, await response.Content.ReadAsStreamAsync(cancellationToken));
    }

    private async Task<HttpResponseMessage> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var response = await TransportAsync(() => _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken));
        if (!response.IsSuccessStatusCode)
        {
            using (response) throw Failure(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        return response;
    }

    private async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await TransportAsync(() => _http.SendAsync(request, cancellationToken));
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw Failure(response.StatusCode, body);
        return body;
    }

    private async Task<HttpResponseMessage> TransportAsync(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException ex)
        {
            throw Unreachable(ex);
        }
    }

    public CliException Unreachable(Exception ex)
    {
        var reason = ex switch
        {
            HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused } } => "connection refused",
            HttpRequestException { InnerException: SocketException s } => s.Message,
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "the host name does not resolve",
            _ => ex.Message,
        };
        return new CliException(
            $"Cannot reach BatchAspire at {_settings.Url.ToString().TrimEnd('/')}: {reason}. Start it with `dotnet run --project BatchAspire.AppHost`, or set --url / {ServerSettings.UrlVariable}.",
            ExitCodes.Unavailable);
    }

    private static CliException Failure(HttpStatusCode status, string body)
    {
        var error = ReadError(body);
        if (status == HttpStatusCode.Unauthorized)
        {
            return new CliException(
                $"The server rejected the API key ({error?.Code ?? "invalid_api_key"}). Set --api-key or {ServerSettings.ApiKeyVariable}.",
                ExitCodes.Unavailable);
        }
        var message = error is null ? $"The server answered HTTP {(int)status}." : $"{error.Message} ({error.Code ?? error.Type}{(error.Param is null ? "" : $", {error.Param}")})";
        return new CliException(message, (int)status >= 500 ? ExitCodes.Unavailable : ExitCodes.InvalidInput) { Param = error?.Param };
    }

    private static BatchError? ReadError(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<BatchErrorBody>(body, BatchJson.Options)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JobReply Parse(string json)
    {
        try
        {
            return new JobReply(JsonSerializer.Deserialize<Job>(json, BatchJson.Options)!, json);
        }
        catch (JsonException ex)
        {
            throw new CliException($"The server sent a job this CLI cannot read ({ex.Message}). Is --url a BatchAspire Api?", ExitCodes.Unavailable);
        }
    }

    public void Dispose() => _http.Dispose();

    private sealed record JobPageBody(List<Job>? Data, bool HasMore);

    /// <summary>The POST /api/jobs body, written straight to the request stream: no second copy of the items.</summary>
    private sealed class JobRequestContent(string? model, string? mode, IReadOnlyList<InputItem> items, IReadOnlyDictionary<string, string>? metadata) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await using var w = new Utf8JsonWriter(stream);
            w.WriteStartObject();
            if (model is not null) w.WriteString("model", model);
            if (mode is not null) w.WriteString("mode", mode);
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("metadata");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            w.WriteStartArray("items");
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WriteString("custom_id", item.CustomId);
                w.WriteString("url", item.Url);
                w.WritePropertyName("body");
                item.Body.WriteTo(w);
                w.WriteEndObject();
                if (w.BytesPending > 64 * 1024) await w.FlushAsync();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            await w.FlushAsync();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
