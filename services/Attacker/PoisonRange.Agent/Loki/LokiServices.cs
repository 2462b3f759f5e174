using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using PoisonRange.Contracts.Attacker.V1;

namespace PoisonRange.Agent.Loki;

/// <summary>Where one attacker service answers, bound from its configuration section (<c>Simulator</c>, <c>Estimator</c>).</summary>
public sealed class AttackerServiceOptions
{
    public const string SimulatorSection = "Simulator";
    public const string EstimatorSection = "Estimator";

    /// <summary>The service's gRPC address (h2c), e.g. <c>http://simulator:5004</c>.</summary>
    public string? Address { get; set; }

    /// <summary>Deadline of the long calls (Build, ExportModels, LoadModels, BuildCache), in seconds.</summary>
    public double TimeoutSeconds { get; set; } = 3600;

    /// <summary>Deadline of one short call (ScoreProfiles, GetWeights), in seconds.</summary>
    public double CallTimeoutSeconds { get; set; } = 120;

    /// <summary>The section's settings; a missing section gives no address.</summary>
    public static AttackerServiceOptions Bind(IConfiguration configuration, string section)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new AttackerServiceOptions();
        configuration.GetSection(section).Bind(options);
        if (options.TimeoutSeconds <= 0 || options.CallTimeoutSeconds <= 0)
            throw new ArgumentException($"{section}:TimeoutSeconds and {section}:CallTimeoutSeconds must be positive.");
        return options;
    }
}

/// <summary>
/// A failed call to the simulator or the estimator: unreachable, deadline exceeded, or refused
/// for a reason the caller cannot fix by changing its parameters. <see cref="StatusCode"/> is the
/// service's status (Unavailable when nothing answers); the message is one line and names the
/// service and its address.
/// </summary>
public sealed class AttackerServiceException(StatusCode statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public StatusCode StatusCode { get; } = statusCode;
}

/// <summary>
/// The gRPC clients of the simulator and the estimator the LOKI pipeline works through, with
/// their addresses and deadlines (<c>Simulator:Address</c>, <c>Estimator:Address</c>). Channels
/// open on first use; a missing address is reported when LOKI runs, not when the agent starts,
/// as the baseline strategies need neither service.
/// </summary>
public sealed class LokiServices : IDisposable
{
    /// <summary>Largest message either way (checkpoints travel in chunks, the training set in one message).</summary>
    public const int MaxMessageBytes = 256 * 1024 * 1024;

    private readonly Lazy<GrpcChannel>? _simulatorChannel;
    private readonly Lazy<GrpcChannel>? _estimatorChannel;

    public LokiServices(AttackerServiceOptions simulator, AttackerServiceOptions estimator)
    {
        Simulator = simulator ?? throw new ArgumentNullException(nameof(simulator));
        Estimator = estimator ?? throw new ArgumentNullException(nameof(estimator));
        _simulatorChannel = Channel(simulator, AttackerServiceOptions.SimulatorSection);
        _estimatorChannel = Channel(estimator, AttackerServiceOptions.EstimatorSection);
    }

    public static LokiServices FromConfiguration(IConfiguration configuration) => new(
        AttackerServiceOptions.Bind(configuration, AttackerServiceOptions.SimulatorSection),
        AttackerServiceOptions.Bind(configuration, AttackerServiceOptions.EstimatorSection));

    public AttackerServiceOptions Simulator { get; }

    public AttackerServiceOptions Estimator { get; }

    public Contracts.Attacker.V1.Simulator.SimulatorClient SimulatorClient
        => new(Open(_simulatorChannel, AttackerServiceOptions.SimulatorSection));

    public Contracts.Attacker.V1.Estimator.EstimatorClient EstimatorClient
        => new(Open(_estimatorChannel, AttackerServiceOptions.EstimatorSection));

    /// <summary>The deadline of a long call started now.</summary>
    public static DateTime LongDeadline(AttackerServiceOptions service) => DateTime.UtcNow.AddSeconds(service.TimeoutSeconds);

    /// <summary>The deadline of a short call started now.</summary>
    public static DateTime CallDeadline(AttackerServiceOptions service) => DateTime.UtcNow.AddSeconds(service.CallTimeoutSeconds);

    /// <summary>
    /// Runs one exchange with a service and turns its failures into the pipeline's errors:
    /// InvalidArgument becomes an <see cref="ArgumentException"/> (the request's parameters), a
    /// cancelled call an <see cref="OperationCanceledException"/>, anything else an
    /// <see cref="AttackerServiceException"/> naming the service, its address and the status.
    /// </summary>
    public static async Task<T> CallAsync<T>(string section, AttackerServiceOptions service, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The {section.ToLowerInvariant()} call was cancelled.", ex, cancellationToken);
        }
        catch (RpcException ex)
        {
            throw Translate(section, service, ex);
        }
    }

    /// <summary>The pipeline's error for a failed call (see <see cref="CallAsync{T}"/>).</summary>
    public static Exception Translate(string section, AttackerServiceOptions service, RpcException ex)
    {
        var name = section.ToLowerInvariant();
        var detail = OneLine(ex.Status.Detail);
        return ex.StatusCode switch
        {
            StatusCode.InvalidArgument => new ArgumentException($"LOKI {name}: {detail}", ex),
            StatusCode.Unavailable => new AttackerServiceException(ex.StatusCode,
                $"The {name} at {service.Address} is unreachable ({detail}); check {section}:Address.", ex),
            StatusCode.DeadlineExceeded => new AttackerServiceException(ex.StatusCode,
                $"The {name} at {service.Address} did not answer within its deadline ({section}:TimeoutSeconds {service.TimeoutSeconds:0.#} s, {section}:CallTimeoutSeconds {service.CallTimeoutSeconds:0.#} s).", ex),
            _ => new AttackerServiceException(ex.StatusCode, $"The {name} at {service.Address} refused the call: {ex.StatusCode} {detail}", ex),
        };
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static Lazy<GrpcChannel>? Channel(AttackerServiceOptions service, string section)
    {
        if (string.IsNullOrWhiteSpace(service.Address)) return null;
        if (!Uri.TryCreate(service.Address, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"{section}:Address must be an absolute http(s) URI, got '{service.Address}'.");
        return new Lazy<GrpcChannel>(() => GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
        }), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private static GrpcChannel Open(Lazy<GrpcChannel>? channel, string section)
        => channel?.Value ?? throw new AttackerServiceException(StatusCode.FailedPrecondition,
            $"LOKI needs the {section.ToLowerInvariant()} service: set {section}:Address (e.g. {section}__Address=http://{section.ToLowerInvariant()}:{(section == AttackerServiceOptions.SimulatorSection ? 5004 : 5005)}).");

    public void Dispose()
    {
        if (_simulatorChannel is { IsValueCreated: true }) _simulatorChannel.Value.Dispose();
        if (_estimatorChannel is { IsValueCreated: true }) _estimatorChannel.Value.Dispose();
    }
}
