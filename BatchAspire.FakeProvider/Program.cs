using BatchAspire.FakeProvider;

// Runs the fake as its own process for benchmarks; tests start it in-process with FakeProviderServer.StartAsync.
return await FakeProviderCommandLine.Create().Parse(args).InvokeAsync();
