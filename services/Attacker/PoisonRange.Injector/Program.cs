using PoisonRange.Injector;

// Standalone injector: Platform:Address, Platform:AttackerKey, Store:Kind (InMemory | Redis), Store:Redis.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddInjector(builder.Configuration);

var app = builder.Build();
app.MapInjector();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();

public partial class Program { }
