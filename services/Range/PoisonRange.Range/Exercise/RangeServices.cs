using Grpc.Core;
using Grpc.Net.Client;
using PoisonRange.Client;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;
using AgentClient = PoisonRange.Contracts.Attacker.V1.Agent.AgentClient;
using InjectorClient = PoisonRange.Contracts.Attacker.V1.Injector.InjectorClient;
using RefereeClient = PoisonRange.Contracts.Platform.V1.Referee.RefereeClient;

namespace PoisonRange.Range.Exercise;

/// <summary>Where the services answer and the credentials the range uses with them.</summary>
/// <param name="Platform">The platform's attacker-facing address (the range crawls it with <paramref name="ObserverKey"/> to choose targets).</param>
/// <param name="Referee">The operator address.</param>
/// <param name="OperatorToken">Bearer token of the Referee API (never written to reports).</param>
/// <param name="AttackerKey">The key the attacker services use; listed in every scenario's attacker keys.</param>
/// <param name="ObserverKey">The range's own read-only key for crawling the public view.</param>
public sealed record RangeEndpoints(
    Uri Platform,
    Uri Referee,
    Uri? Agent,
    Uri? Injector,
    string OperatorToken,
    string AttackerKey,
    string ObserverKey);

/// <summary>
/// gRPC clients of the Referee, Agent and Injector. Every call carries a deadline; Referee calls
/// carry the operator token. Failures become <see cref="RangeException"/> with a one-line message
/// naming the service and its address.
/// </summary>
public sealed class RangeServices : IDisposable
{
    private readonly GrpcChannel _referee;
    private readonly GrpcChannel? _agent;
    private readonly GrpcChannel? _injector;
    private readonly Metadata _operatorHeaders;

    public RangeServices(RangeEndpoints endpoints, TimeSpan longCallTimeout)
    {
        Endpoints = endpoints;
        LongCall = longCallTimeout;
        _referee = CreateChannel(endpoints.Referee);
        _agent = endpoints.Agent is null ? null : CreateChannel(endpoints.Agent);
        _injector = endpoints.Injector is null ? null : CreateChannel(endpoints.Injector);
        _operatorHeaders = new Metadata { { "authorization", "Bearer " + endpoints.OperatorToken } };
        Referee = new RefereeClient(_referee);
        Agent = _agent is null ? null : new AgentClient(_agent);
        Injector = _injector is null ? null : new InjectorClient(_injector);
    }

    public RangeEndpoints Endpoints { get; }

    /// <summary>Deadline of configure, retrain, generate and inject calls.</summary>
    public TimeSpan LongCall { get; }

    /// <summary>Deadline of every other call.</summary>
    public static TimeSpan ShortCall { get; } = TimeSpan.FromSeconds(60);

    public RefereeClient Referee { get; }
    public AgentClient? Agent { get; }
    public InjectorClient? Injector { get; }

    private static GrpcChannel CreateChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 256 * 1024 * 1024,
        MaxSendMessageSize = 256 * 1024 * 1024,
    });

    public CallOptions OperatorCall(TimeSpan timeout, CancellationToken ct) =>
        new(headers: _operatorHeaders, deadline: DateTime.UtcNow + timeout, cancellationToken: ct);

    public static CallOptions Call(TimeSpan timeout, CancellationToken ct) =>
        new(deadline: DateTime.UtcNow + timeout, cancellationToken: ct);

    /// <summary>A public-API client holding the range's observer key, for crawling the catalogue.</summary>
    public PlatformClient CreateObserverClient() => new(new PlatformClientOptions
    {
        Address = Endpoints.Platform.ToString(),
        AttackerKey = Endpoints.ObserverKey,
        Deadline = ShortCall,
        CrawlDeadline = LongCall,
        CrawlTotalTimeout = LongCall,
        RateLimitPerSecond = 0,
        RetryMaxAttempts = 3,
    });

    /// <summary>Runs a call to <paramref name="service"/> and turns gRPC failures into one-line <see cref="RangeException"/>s.</summary>
    public async Task<T> CallAsync<T>(string service, string rpc, Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested))
        {
            throw Describe(service, rpc, e);
        }
    }

    public RangeException Describe(string service, string rpc, RpcException e)
    {
        var address = service switch
        {
            "referee" => Endpoints.Referee,
            "agent" => Endpoints.Agent,
            "injector" => Endpoints.Injector,
            _ => Endpoints.Platform,
        };
        var detail = OneLine(e.Status.Detail);
        var message = e.StatusCode switch
        {
            StatusCode.Unavailable => $"cannot reach the {service} at {address}: {Unwrap(e)}",
            StatusCode.DeadlineExceeded => $"the {service} at {address} did not finish {rpc} in time ({detail})",
            StatusCode.Unauthenticated or StatusCode.PermissionDenied when service == "referee" =>
                $"the referee at {address} refused the operator token ({e.StatusCode}): pass the platform's token with --operator-token or POISONRANGE_OPERATOR_TOKEN",
            StatusCode.Unimplemented => $"the service at {address} does not implement {service}.{rpc}; is that the {service}'s address?",
            _ => $"{service} {rpc} failed ({e.StatusCode}): {detail}",
        };
        return new RangeException(message, e);
    }

    private static string Unwrap(RpcException e)
    {
        Exception? inner = e.Status.DebugException ?? e.InnerException;
        while (inner?.InnerException is not null) inner = inner.InnerException;
        var text = inner?.Message ?? e.Status.Detail;
        return OneLine(string.IsNullOrWhiteSpace(text) ? e.StatusCode.ToString() : text);
    }

    internal static string OneLine(string? text) => (text ?? "").ReplaceLineEndings(" ").Trim();

    public void Dispose()
    {
        _referee.Dispose();
        _agent?.Dispose();
        _injector?.Dispose();
    }
}
