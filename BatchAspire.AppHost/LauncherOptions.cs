namespace BatchAspire.AppHost;

/// <summary>What <c>dotnet run --project BatchAspire.AppHost -- [options]</c> was asked for.</summary>
public sealed record LauncherOptions(int Workers, int ApiPort, string DataDir, string? Redis);
