namespace BatchAspire.Tests.Infrastructure;

/// <summary>
/// Tests that hold real processes to a provider's limit per rolling second: on a 2-core machine they must not
/// share the CPU with the rest of the suite, so this collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitiveCollection
{
    public const string Name = "Timing-sensitive processes";
}
