using PoisonRange.Simulator;

// `health <address>`: asks a running simulator's gRPC health service and exits 0 when it serves.
if (args.Length > 0 && args[0] == "health")
    return await SimulatorHealthProbe.RunAsync(args.Length > 1 ? args[1] : "http://127.0.0.1:5004");

// The simulator service: Platform:Address, Platform:AttackerKey, Simulator:* (defaults of a Build request).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSimulatorService();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapSimulator();
app.Run();
return 0;

public partial class Program { }
