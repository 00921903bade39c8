using System.Globalization;
using System.Runtime.InteropServices;
using BatchAspire.Bench;

// dotnet run -c Release --project bench/BatchAspire.Bench -- [core]
var scenario = args.FirstOrDefault() ?? "core";
if (scenario != "core")
{
    Console.Error.WriteLine($"Unknown scenario '{scenario}'. Scenarios: core.");
    return 2;
}

var runs = new List<CoreBenchmark.Run>();
foreach (var (name, items, workers, latency, concurrency) in new[]
{
    ("100k items, 0 ms latency, 1 Worker", 100_000, 1, 0.0, 1000),
    ("100k items, 0 ms latency, 2 Workers", 100_000, 2, 0.0, 1000),
    ("10k items, 2 s latency, concurrency 10k", 10_000, 1, 2000.0, 10_000),
    ("200k items, 0 ms latency, 1 Worker (memory vs job size)", 200_000, 1, 0.0, 1000),
})
{
    Console.Error.WriteLine($"running: {name}");
    runs.Add(await CoreBenchmark.RunAsync(name, items, workers, latency, concurrency));
}

var report = new System.Text.StringBuilder();
report.AppendLine($"# BatchAspire core benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
report.AppendLine();
report.AppendLine($"Machine: {Environment.ProcessorCount} cores ({CpuModel()}), {MemoryGiB():0.#} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}. Api, Worker(s) and embedded Garnet (AOF on) share the machine.");
report.AppendLine();
report.AppendLine("| scenario | items | workers | seconds | items/s | submit s | store cmds/item | Api peak RSS MiB | Worker peak RSS MiB |");
report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in runs)
{
    report.AppendLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Name} | {r.Items} | {r.Workers} | {r.Seconds:0.00} | {r.ItemsPerSecond:0} | {r.SubmitSeconds:0.00} | {r.RoundTripsPerItem:0.000} | {r.ApiPeakRssMiB:0} | {r.WorkerPeakRssMiB:0} |"));
}
report.AppendLine();
var one = runs[0];
var slow = runs[2];
report.AppendLine("Targets (issue: the working core):");
report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- ≥ 5,000 items/s with one Worker: {one.ItemsPerSecond:0} items/s = {one.ItemsPerSecond / 5000:0.00}× the target."));
report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Worker peak RSS ≤ 200 MB: {runs.Take(2).Max(r => r.WorkerPeakRssMiB):0} MiB = {runs.Take(2).Max(r => r.WorkerPeakRssMiB) / 200:0.00}× the limit; at twice the job size (200k items) {runs[3].WorkerPeakRssMiB:0} MiB."));
report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- Api peak RSS ≤ 400 MB: {runs.Take(2).Max(r => r.ApiPeakRssMiB):0} MiB = {runs.Take(2).Max(r => r.ApiPeakRssMiB) / 400:0.00}× the limit."));
report.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- 10,000 × 2 s at concurrency 10,000 in ≤ 5 s: {slow.Seconds:0.00} s = {slow.Seconds / 5:0.00}× the limit."));
report.AppendLine();
report.AppendLine("Store cmds/item counts every command Garnet processed during the run (submit writes, leases, completions, the bench's status polls) divided by items.");

Console.WriteLine(report);
var file = Path.Combine(BenchProcess.RepoRoot, "bench", "results", $"core-{DateTime.UtcNow:yyyyMMdd-HHmm}.md");
File.WriteAllText(file, report.ToString());
Console.Error.WriteLine($"written: {file}");
return 0;

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?" : "?";

static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
