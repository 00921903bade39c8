using BatchAspire.Worker;

var builder = Host.CreateApplicationBuilder(args);
builder.AddServiceDefaults();
builder.AddBatchWorker();

var host = builder.Build();
host.Run();
