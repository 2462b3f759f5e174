using PoisonRange.Estimator;

// The estimator service: gRPC (h2c) on Kestrel's endpoints; Estimator:* options.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddEstimator(builder.Configuration);

var app = builder.Build();
app.MapEstimator();
app.MapGet("/alive", () => Results.Text("alive"));
app.Run();

public partial class Program { }
