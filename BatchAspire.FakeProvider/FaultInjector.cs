namespace BatchAspire.FakeProvider;

/// <summary>What happens to an admitted request besides its normal answer.</summary>
internal enum InjectedFault
{
    None,
    ServerError,
    DropConnection,
}

/// <summary>The per-request draws (faults, slowness, latency jitter) from one seedable <see cref="Random"/>.</summary>
internal sealed class FaultInjector(FakeProviderOptions options)
{
    private static readonly int[] ServerErrorStatuses = [500, 502, 503];

    private readonly Random _random = options.Seed is { } seed ? new Random(seed) : new Random();
    private readonly Lock _gate = new();

    /// <summary>Draws for one admitted request, always consuming the same number of samples so a seed replays.</summary>
    public FaultPlan Draw()
    {
        double drop, error, slow, jitter;
        int status;
        lock (_gate)
        {
            drop = _random.NextDouble();
            error = _random.NextDouble();
            slow = _random.NextDouble();
            jitter = _random.NextDouble();
            status = ServerErrorStatuses[_random.Next(ServerErrorStatuses.Length)];
        }

        var fault = drop < options.DropConnectionRate ? InjectedFault.DropConnection
            : error < options.ServerErrorRate ? InjectedFault.ServerError
            : InjectedFault.None;
        var delayMs = slow < options.SlowResponseRate
            ? options.SlowResponseMs
            : options.LatencyMs + (int)Math.Round((jitter * 2 - 1) * options.LatencyJitterMs);
        return new FaultPlan(fault, status, Math.Max(0, delayMs));
    }
}

/// <param name="ServerErrorStatus">The 5xx to answer with when <paramref name="Fault"/> is a server error.</param>
/// <param name="DelayMs">Real-time delay before answering; 0 answers at once.</param>
internal readonly record struct FaultPlan(InjectedFault Fault, int ServerErrorStatus, int DelayMs);
