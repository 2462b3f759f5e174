using PoisonRange.Injector;

// Standalone injector: Platform:Address, Platform:AttackerKey, Store:Kind (InMemory | Redis), Store:Redis.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddInjector(builder.Configuration);
builder.Services.AddGrpcHealthChecks().AddCheck<InjectionStoreHealthCheck>("store");

var app = builder.Build();
app.MapInjector();
app.MapGrpcHealthChecksService();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();

public partial class Program { }
