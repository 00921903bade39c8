using System.Reflection;

namespace BatchAspire.Tests.Infrastructure;

/// <summary>Where the repository and the built projects are, for tests that start real processes.</summary>
public static class Paths
{
    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));
    public static string Configuration => Metadata("Configuration");

    public static string ProjectDirectory(string project) => Path.Combine(RepoRoot, project);

    public static string Dll(string project) =>
        Path.Combine(RepoRoot, project, "bin", Configuration, "net10.0", project + ".dll");

    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;
}
