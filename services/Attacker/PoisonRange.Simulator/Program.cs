using PoisonRange.Simulator;

// Standalone simulator: Platform:Address, Platform:AttackerKey, Simulator:* (defaults of a Build request).
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSimulator(builder.Configuration);

var app = builder.Build();
app.MapSimulator();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();

public partial class Program { }
