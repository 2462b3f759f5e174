using PoisonRange.Agent;

// Standalone agent: Platform:Address, Platform:AttackerKey, Agent:* (appsettings.json, environment, command line).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddAgentService();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapAgent();
app.Run();

public partial class Program { }
