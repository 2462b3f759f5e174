using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Readiness of a host that cannot work without another gRPC service: asks that service's
/// grpc.health.v1 (the server as a whole) with a short deadline and keeps the answer for a
/// moment, so that frequent probes do not become a load on the dependency. Reachable means
/// it answered at all: SERVING is healthy, any other answer (not serving, no health service)
/// degraded, which still counts as serving; no answer in time is unhealthy.
/// </summary>
public sealed class GrpcDependencyHealthCheck : IHealthCheck, IDisposable
{
    /// <summary>How long one probe may take.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(2);

    /// <summary>How long an answer is reused.</summary>
    public static readonly TimeSpan DefaultCacheFor = TimeSpan.FromSeconds(1.5);

    private readonly string _name;
    private readonly Uri? _address;
    private GrpcChannel? _channel;
    private readonly string? _addressProblem;
    private readonly TimeSpan _deadline;
    private readonly TimeSpan _cacheFor;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private (HealthCheckResult Result, long At)? _last;

    public GrpcDependencyHealthCheck(string name, string? address, TimeProvider? time = null, TimeSpan? deadline = null, TimeSpan? cacheFor = null)
    {
        _name = name;
        _time = time ?? TimeProvider.System;
        _deadline = deadline ?? DefaultDeadline;
        _cacheFor = cacheFor ?? DefaultCacheFor;
        if (string.IsNullOrWhiteSpace(address))
            _addressProblem = $"the {name} address is not set";
        else if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            _addressProblem = $"the {name} address '{address}' is not an http(s) address";
        else
        {
            _address = uri;
            _channel = GrpcChannel.ForAddress(uri);
        }
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_address is null) return HealthCheckResult.Unhealthy(_addressProblem);
        GrpcChannel channel;
        lock (_gate)
        {
            if (_last is { } last && _time.GetElapsedTime(last.At) < _cacheFor) return last.Result;
            channel = _channel!;
        }
        var result = await ProbeAsync(channel, cancellationToken).ConfigureAwait(false);
        GrpcChannel? stale = null;
        lock (_gate)
        {
            _last = (result, _time.GetTimestamp());
            // A channel that failed to connect waits out its reconnect backoff and answers with
            // its last error meanwhile: the next probe asks on a fresh connection instead.
            if (result.Status == HealthStatus.Unhealthy && ReferenceEquals(_channel, channel))
            {
                stale = channel;
                _channel = GrpcChannel.ForAddress(_address);
            }
        }
        stale?.Dispose();
        return result;
    }

    private async Task<HealthCheckResult> ProbeAsync(GrpcChannel channel, CancellationToken ct)
    {
        var client = new Health.HealthClient(channel);
        try
        {
            var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + _deadline, cancellationToken: ct)
                .ConfigureAwait(false);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving
                ? HealthCheckResult.Healthy($"{_name} is serving")
                : HealthCheckResult.Degraded($"{_name} answers but reports {reply.Status}");
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return HealthCheckResult.Degraded($"{_name} answers but has no grpc.health.v1 service");
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            var detail = e.StatusCode == StatusCode.DeadlineExceeded
                ? $"no answer within {_deadline.TotalSeconds:0.###} s"
                : $"{e.StatusCode}: {(e.Status.DebugException?.Message ?? e.Status.Detail).ReplaceLineEndings(" ")}";
            return HealthCheckResult.Unhealthy($"{_name} is unreachable ({detail})");
        }
    }

    public void Dispose()
    {
        lock (_gate) _channel?.Dispose();
    }
}

public static class GrpcDependencyHealthCheckExtensions
{
    /// <summary>
    /// Makes the host ready only while the gRPC service at <paramref name="address"/> (read once,
    /// at the first check) answers (see <see cref="GrpcDependencyHealthCheck"/>).
    /// </summary>
    public static TBuilder AddGrpcDependencyHealthCheck<TBuilder>(this TBuilder builder, string name, Func<IServiceProvider, string?> address)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(address);
        builder.Services.AddKeyedSingleton(name, (sp, _) => new GrpcDependencyHealthCheck(name, address(sp), sp.GetService<TimeProvider>()));
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name, sp => sp.GetRequiredKeyedService<GrpcDependencyHealthCheck>(name), HealthStatus.Unhealthy, tags: null));
        return builder;
    }
}
