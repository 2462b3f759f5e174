using PoisonRange.Estimator;

// The estimator service: gRPC (h2c) on Kestrel's endpoints; Estimator:* options.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddEstimator(builder.Configuration);

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapEstimator();
app.Run();

public partial class Program { }
