using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace PoisonRange.HealthProbe;

/// <summary>
/// Asks a gRPC service (h2c) for its health through the standard grpc.health.v1 service: the
/// probe of every PoisonRange container. Exit code 0 when the service answers SERVING, 1 when it
/// answers anything else or cannot be reached in time, 2 for bad arguments; one line of output.
/// </summary>
public static class Probe
{
    public const int Serving = 0;
    public const int NotServing = 1;
    public const int BadInput = 2;

    private const string Usage = "usage: health-probe <address|port> [service] [--timeout seconds]";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default)
    {
        if (!TryParse(args, out var address, out var service, out var timeout, out var problem))
        {
            stderr.WriteLine($"health-probe: {problem} ({Usage})");
            return BadInput;
        }
        var (status, detail) = await CheckAsync(address!, service, timeout, ct).ConfigureAwait(false);
        if (status == HealthCheckResponse.Types.ServingStatus.Serving)
        {
            stdout.WriteLine($"{address}: SERVING");
            return Serving;
        }
        stderr.WriteLine($"health-probe: {address}: {detail}");
        return NotServing;
    }

    /// <summary>Checks one service ("" is the server as a whole); never throws for an unreachable or failing server.</summary>
    public static async Task<(HealthCheckResponse.Types.ServingStatus? Status, string Detail)> CheckAsync(
        Uri address, string service, TimeSpan timeout, CancellationToken ct = default)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var client = new Health.HealthClient(channel);
        try
        {
            var reply = await client.CheckAsync(new HealthCheckRequest { Service = service },
                deadline: DateTime.UtcNow + timeout, cancellationToken: ct).ConfigureAwait(false);
            return (reply.Status, reply.Status.ToString().ToUpperInvariant());
        }
        catch (RpcException e) when (!ct.IsCancellationRequested)
        {
            var detail = e.StatusCode switch
            {
                StatusCode.DeadlineExceeded => $"no answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
                StatusCode.NotFound => $"no health status for service '{service}'",
                StatusCode.Unimplemented => "the server has no grpc.health.v1 service",
                _ => $"{e.StatusCode}: {OneLine(e.Status.DebugException?.Message ?? e.Status.Detail)}",
            };
            return (null, detail);
        }
    }

    internal static bool TryParse(string[] args, out Uri? address, out string service, out TimeSpan timeout, out string problem)
    {
        address = null;
        service = "";
        timeout = TimeSpan.FromSeconds(3);
        problem = "";
        var positional = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--timeout")
            {
                if (i + 1 >= args.Length || !double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || seconds > 600)
                {
                    problem = "--timeout needs a number of seconds between 0 and 600";
                    return false;
                }
                timeout = TimeSpan.FromSeconds(seconds);
                i++;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"unknown option '{args[i]}'";
                return false;
            }
            else positional.Add(args[i]);
        }
        if (positional.Count is < 1 or > 2)
        {
            problem = positional.Count == 0 ? "an address or port is required" : "too many arguments";
            return false;
        }
        var target = positional[0];
        // A bare port means this container's own service on loopback.
        if (int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            if (port is < 1 or > 65535)
            {
                problem = $"port {port} is outside 1..65535";
                return false;
            }
            target = $"http://127.0.0.1:{port}";
        }
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            problem = $"'{positional[0]}' is neither a port nor an http(s) address";
            return false;
        }
        address = uri;
        if (positional.Count == 2) service = positional[1];
        return true;
    }

    private static string OneLine(string? text) => (text ?? "").ReplaceLineEndings(" ").Trim();
}
