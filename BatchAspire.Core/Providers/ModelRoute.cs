namespace BatchAspire.Core.Providers;

/// <summary>Which provider serves a request, and the model name to send it.</summary>
public sealed record ModelRoute(string Provider, string Model);
