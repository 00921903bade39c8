using System.Reflection;

namespace BatchAspire.AppHost;

/// <summary>Where the Api and Worker builds are, as Aspire's generated project metadata would say.</summary>
public static class ProjectPaths
{
    public static string ProjectDirectory(string name) => Path.GetFullPath(Metadata(name));

    public static string Dll(string name, string assemblyName)
    {
        var directory = ProjectDirectory(name);
        var dll = Path.Combine(directory, "bin", Metadata("Configuration"), "net10.0", assemblyName + ".dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"{assemblyName} is not built at {dll}. Run `dotnet build` (or `dotnet run --project BatchAspire.AppHost`, which builds it).");
    }

    private static string Metadata(string key) =>
        typeof(ProjectPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing from the AppHost build.");
}
