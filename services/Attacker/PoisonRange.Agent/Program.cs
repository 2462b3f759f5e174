using PoisonRange.Agent;

// Standalone agent: Platform:Address, Platform:AttackerKey, Agent:CrawlPageSize.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAgent(builder.Configuration);
builder.Services.AddGrpcHealthChecks().AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());

var app = builder.Build();
app.MapAgent();
app.MapGrpcHealthChecksService();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();

public partial class Program { }
