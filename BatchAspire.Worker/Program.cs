namespace BatchAspire.Worker;

internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddServiceDefaults();
        builder.AddBatchWorker();
        builder.Build().Run();
    }
}
