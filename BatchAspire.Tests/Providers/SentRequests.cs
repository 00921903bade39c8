using System.Collections.Concurrent;

namespace BatchAspire.Tests.Providers;

/// <summary>
/// What the provider clients really sent, recorded at the end of their HttpClient pipeline (the request still
/// goes over loopback to the fake): path with query, lower-cased headers, body.
/// </summary>
public sealed class SentRequests
{
    public ConcurrentQueue<Fakes.ReceivedRequest> All { get; } = new();

    public IEnumerable<Fakes.ReceivedRequest> To(string pathPart) => All.Where(r => r.Path.Contains(pathPart, StringComparison.Ordinal));

    public DelegatingHandler Handler() => new Recorder(this);

    private sealed class Recorder(SentRequests sent) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
            sent.All.Enqueue(new Fakes.ReceivedRequest(request.RequestUri!.PathAndQuery, headers, body));
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
