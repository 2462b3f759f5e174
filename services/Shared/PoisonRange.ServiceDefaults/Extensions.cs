using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every PoisonRange host shares (after eShop's ServiceDefaults): health that means ready,
/// gRPC server reflection, single-line or JSON console logs, and OpenTelemetry metrics and traces.
/// A host calls <see cref="AddServiceDefaults{TBuilder}"/> on its builder and
/// <see cref="MapDefaultEndpoints"/> on its app, and adds its own readiness checks to
/// <c>builder.Services.AddHealthChecks()</c>.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Liveness: the process answers. Only checks with the <see cref="LiveTag"/> run.</summary>
    public const string AlivePath = "/alive";

    /// <summary>Readiness: every registered check, as grpc.health.v1's overall ("") status.</summary>
    public const string HealthPath = "/health";

    /// <summary>The tag of checks that say the process is alive (not whether it can work).</summary>
    public const string LiveTag = "live";

    /// <summary>Every meter whose name starts with this prefix is collected.</summary>
    public const string MeterPrefix = "PoisonRange.";

    /// <summary>Setting that turns the OTLP exporter on (the standard OpenTelemetry variable).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
        => builder.AddServiceDefaults(processWideMetrics: true);

    /// <param name="builder">The host's builder.</param>
    /// <param name="processWideMetrics">
    /// False for a second web application in the same process (the platform's Referee API), so
    /// that the runtime's and the <c>PoisonRange.*</c> meters are collected once per process.
    /// </param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, bool processWideMetrics) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureStructuredLogging();
        builder.ConfigureOpenTelemetry(processWideMetrics);
        builder.AddDefaultHealthChecks();
        builder.Services.AddGrpc();
        builder.Services.AddGrpcReflection();
        return builder;
    }

    /// <summary>
    /// Console logs on one line with UTC timestamps; JSON lines when
    /// <c>Logging:Console:FormatterName</c> is <c>json</c> (for log collectors).
    /// </summary>
    public static TBuilder ConfigureStructuredLogging<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddConsole();
        // The formatter is always named: with no name the console logger falls back to its legacy
        // options, which overwrite the formatter's (the full builder printed two-line entries).
        var formatter = builder.Configuration["Logging:Console:FormatterName"];
        builder.Services.PostConfigure<ConsoleLoggerOptions>(o =>
            o.FormatterName = string.IsNullOrWhiteSpace(formatter) ? ConsoleFormatterNames.Simple : formatter);
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = TimestampFormat;
        });
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = TimestampFormat.TrimEnd();
        });
        return builder;
    }

    /// <summary>
    /// Metrics (ASP.NET Core, HTTP client, runtime, every <c>PoisonRange.*</c> meter) and traces
    /// (ASP.NET Core without health probes, gRPC and HTTP clients, every <c>PoisonRange.*</c>
    /// source); exported over OTLP only when <see cref="OtlpEndpointSetting"/> is set.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder, bool processWideMetrics = true) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Environment.ApplicationName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (processWideMetrics) metrics.AddRuntimeInstrumentation().AddMeter(MeterPrefix + "*");
            })
            .WithTracing(tracing => tracing
                .AddSource(MeterPrefix + "*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting]))
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        return builder;
    }

    /// <summary>The liveness check every host has; its readiness checks come on top.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // grpc.health.v1 reports every registered check as the server's overall ("") status.
        builder.Services.AddGrpcHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("the process answers"), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// grpc.health.v1 and gRPC reflection on the host's gRPC endpoints, <c>/alive</c> and
    /// <c>/health</c> on all of its endpoints (200 when healthy, 503 otherwise).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) });
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath)
        || path.StartsWithSegments("/grpc.health.v1.Health") || path.StartsWithSegments("/grpc.reflection.v1alpha.ServerReflection")
        || path.StartsWithSegments("/grpc.reflection.v1.ServerReflection");
}
