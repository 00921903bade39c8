namespace BatchAspire.FakeProvider;

/// <summary>How the fake's batch APIs behave (<see cref="FakeProviderOptions.Batches"/>); changeable while the server runs.</summary>
public sealed class BatchSimulationOptions
{
    /// <summary>Time from a batch's creation to its end (all its lines answered at once).</summary>
    public int BatchTurnaroundMs { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); } = 200;

    /// <summary>Share of a batch's lines answered with a per-item error (0..1), the rest succeed.</summary>
    public double BatchItemErrorRate { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>A batch not done this long after creation expires instead (0 = never): its lines get no answer.</summary>
    public int BatchExpiryMs { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Prompt tokens that may wait in unfinished batches at once (0 = unlimited); a batch beyond it fails with token_limit_exceeded.</summary>
    public long EnqueuedTokensLimit { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }

    /// <summary>Creating a batch answers 403: the account has no batch API.</summary>
    public bool BatchesDisabled { get => Volatile.Read(ref field); set => Volatile.Write(ref field, value); }
}
