using System.Security.Cryptography;
using PoisonRange.Range.Embedded;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Exercise;

/// <summary>
/// The services an exercise talks to: either already running (remote mode, addresses from the
/// scenario) or started in this process on loopback ports (embedded mode,
/// <see cref="EmbeddedServices"/>). Either way the range reaches them only through their gRPC
/// addresses.
/// </summary>
public sealed class RangeEnvironment : IAsyncDisposable
{
    public const string OperatorTokenVariable = "POISONRANGE_OPERATOR_TOKEN";
    public const string AttackerKeyVariable = "POISONRANGE_ATTACKER_KEY";
    public const string DataDirectoryVariable = "POISONRANGE_DATA";
    public const string DefaultAttackerKey = "attacker";
    public const string ObserverKeyName = "range-observer";

    private readonly EmbeddedServices? _embedded;

    private RangeEnvironment(string mode, RangeEndpoints endpoints, string? dataDirectory, EmbeddedServices? embedded)
    {
        Mode = mode;
        Endpoints = endpoints;
        DataDirectory = dataDirectory;
        _embedded = embedded;
    }

    /// <summary>"embedded" or "remote".</summary>
    public string Mode { get; }

    public RangeEndpoints Endpoints { get; }

    /// <summary>Embedded mode: where the platform looks up dataset names.</summary>
    public string? DataDirectory { get; }

    public static bool IsRemote(RangeScenario scenario) => !string.IsNullOrWhiteSpace(scenario.Services.Platform);

    /// <summary>
    /// Connects to running services (when the scenario names a platform address) or starts every
    /// service in this process with in-memory stores.
    /// </summary>
    public static async Task<RangeEnvironment> StartAsync(RangeScenario scenario, string? operatorToken, bool verbose, CancellationToken ct)
    {
        var sv = scenario.Services;
        if (IsRemote(scenario))
        {
            var token = operatorToken ?? Environment.GetEnvironmentVariable(OperatorTokenVariable);
            if (string.IsNullOrWhiteSpace(token))
                throw new RangeException($"running against a platform needs its operator token: pass --operator-token or set {OperatorTokenVariable}");
            var attackerKey = sv.AttackerKey ?? Environment.GetEnvironmentVariable(AttackerKeyVariable) ?? DefaultAttackerKey;
            var endpoints = new RangeEndpoints(
                new Uri(sv.Platform!), new Uri(sv.Referee!),
                sv.Agent is null ? null : new Uri(sv.Agent),
                sv.Injector is null ? null : new Uri(sv.Injector),
                token, attackerKey, ObserverKeyName);
            return new RangeEnvironment("remote", endpoints, null, null);
        }

        var dataDirectory = ResolveDataDirectory(sv.DataDirectory);
        var operatorSecret = operatorToken ?? "range-" + RandomNumberGenerator.GetHexString(24, lowercase: true);
        var key = "attacker-" + RandomNumberGenerator.GetHexString(16, lowercase: true);
        try
        {
            var services = await EmbeddedServices.StartAsync(new EmbeddedOptions(operatorSecret, key, dataDirectory, verbose), ct).ConfigureAwait(false);
            var endpoints = new RangeEndpoints(services.PlatformAddress, services.RefereeAddress, services.AgentAddress, services.InjectorAddress,
                operatorSecret, key, ObserverKeyName);
            return new RangeEnvironment("embedded", endpoints, dataDirectory, services);
        }
        catch (Exception e) when (e is not OperationCanceledException and not RangeException)
        {
            throw new RangeException($"cannot start the embedded services: {RangeServices.OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// The platform's view of a dataset source: "synthetic" and names stay as they are; in
    /// embedded mode an existing path is made absolute, as the platform resolves paths itself.
    /// </summary>
    public string PlatformDatasetSource(string source)
    {
        if (Mode != "embedded" || string.Equals(source, "synthetic", StringComparison.OrdinalIgnoreCase)) return source;
        return File.Exists(source) || Directory.Exists(source) ? Path.GetFullPath(source) : source;
    }

    /// <summary>The data directory: the scenario's, else $POISONRANGE_DATA, else ../shared/data when it exists.</summary>
    public static string? ResolveDataDirectory(string? configured)
    {
        var dir = configured ?? Environment.GetEnvironmentVariable(DataDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(dir))
        {
            if (!Directory.Exists(dir)) throw new RangeException($"data directory not found: {dir}");
            return Path.GetFullPath(dir);
        }
        var fallback = Path.GetFullPath(Path.Combine("..", "shared", "data"));
        return Directory.Exists(fallback) ? fallback : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null) await _embedded.DisposeAsync().ConfigureAwait(false);
    }
}
