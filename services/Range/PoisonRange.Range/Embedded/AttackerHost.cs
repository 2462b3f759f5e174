using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PoisonRange.Agent;
using PoisonRange.Injector;

namespace PoisonRange.Range.Embedded;

/// <summary>
/// The attacker side of the embedded mode: agent and injector in one web application on a
/// loopback port, with an in-memory attacker store of their own. They reach the platform only
/// through its public address and the attacker key, as in compose.
/// </summary>
internal sealed class AttackerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private AttackerHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<AttackerHost> StartAsync(Uri platformAddress, string attackerKey, bool verbose, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "PoisonRange.Range.Attackers" });
        builder.Logging.ClearProviders();
        if (verbose) builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);
        // Configured in code only: no settings file or environment variable of the machine leaks in.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Platform:Address"] = platformAddress.ToString(),
            ["Platform:AttackerKey"] = attackerKey,
            ["Store:Kind"] = "memory",
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 256 * 1024 * 1024);
        builder.Services.AddAgent(builder.Configuration);
        builder.Services.AddInjector(builder.Configuration);

        var app = builder.Build();
        app.MapAgent();
        app.MapInjector();
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new AttackerHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
