using System.CommandLine;
using BatchAspire.AppHost;

var workers = new Option<int>("--workers") { Description = "Worker processes to start.", DefaultValueFactory = _ => 1 };
var apiPort = new Option<int>("--api-port") { Description = "Port of the Api and dashboard.", DefaultValueFactory = _ => 5080 };
var dataDir = new Option<string>("--data-dir") { Description = "Folder of the embedded store's data.", DefaultValueFactory = _ => Path.Combine(".batchaspire", "garnet") };
var redis = new Option<string?>("--redis") { Description = "Use this Redis instead of embedded Garnet (default: ConnectionStrings__redis)." };
workers.Validators.Add(r => { if (r.GetValue(workers) is < 1 or > 64) r.AddError("--workers must be between 1 and 64."); });
apiPort.Validators.Add(r => { if (r.GetValue(apiPort) is < 1 or > 65535) r.AddError("--api-port must be between 1 and 65535."); });

var root = new RootCommand("Runs BatchAspire locally: a store, the Api and N Workers.") { workers, apiPort, dataDir, redis };
root.SetAction((parse, stopping) => Launcher.RunAsync(
    new LauncherOptions(
        parse.GetValue(workers),
        parse.GetValue(apiPort),
        parse.GetValue(dataDir)!,
        parse.GetValue(redis) ?? Environment.GetEnvironmentVariable("ConnectionStrings__redis")),
    stopping));
// Ctrl+C/SIGTERM cancels the action; give the children time to stop cleanly before the process is torn down.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
