using PoisonRange.Injector;

// Standalone injector: Platform:Address, Platform:AttackerKey, Injector:*, Store:Kind (InMemory | Redis), Store:Redis.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInjectorService();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInjector();
app.Run();

public partial class Program { }
