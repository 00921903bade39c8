namespace BatchAspire.FakeProvider;

/// <summary>A request body the provider would answer with 400; <see cref="Param"/> names the offending field.</summary>
internal sealed class InvalidProviderRequestException(string message, string? param = null) : Exception(message)
{
    public string? Param { get; } = param;
}
