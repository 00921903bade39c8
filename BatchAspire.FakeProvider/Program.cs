namespace BatchAspire.FakeProvider;

// Runs the fake as its own process for benchmarks; tests start it in-process with FakeProviderServer.StartAsync.
// An explicit, namespaced Program: the test project references this and the Api, whose Program is global.
internal static class Program
{
    private static Task<int> Main(string[] args) => FakeProviderCommandLine.Create().Parse(args).InvokeAsync();
}
