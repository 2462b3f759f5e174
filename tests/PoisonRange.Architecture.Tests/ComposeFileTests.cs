using System.Diagnostics;
using Xunit;
using static PoisonRange.Architecture.Tests.Repository;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// docker-compose.yml is valid for docker-compose itself, runs every service, and keeps the
/// threat boundary: attacker services never receive the operator token or the platform's Redis.
/// </summary>
public sealed class ComposeFileTests
{
    private static (int Code, string Out, string Err) Compose(params string[] args)
    {
        var psi = new ProcessStartInfo("docker-compose")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["POISONRANGE_OPERATOR_TOKEN"] = "operator-token-under-test";
        psi.Environment["POISONRANGE_ATTACKER_KEY"] = "attacker-key-under-test";
        psi.Environment["POISONRANGE_DATA"] = Path.GetTempPath();
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("docker-compose did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("docker-compose config took over 60 s"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Compose_file_is_valid_and_names_every_service()
    {
        var (code, _, err) = Compose("config", "-q");
        Assert.True(code == 0, "docker-compose config failed: " + err);
        var (_, services, _) = Compose("--profile", "exercise", "config", "--services");
        var names = services.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        foreach (var expected in new[] { "platform", "platform-redis", "attacker-redis", "agent", "injector", "simulator", "range" })
            Assert.Contains(expected, names);
    }

    [Fact]
    public void Attacker_services_get_neither_the_operator_token_nor_the_platform_redis()
    {
        var (code, config, err) = Compose("--profile", "exercise", "config");
        Assert.True(code == 0, err);
        foreach (var service in new[] { "agent", "injector", "simulator" })
        {
            var block = ServiceBlock(config, service);
            Assert.DoesNotContain("operator-token-under-test", block);
            Assert.DoesNotContain("platform-redis", block);
            Assert.Contains("attacker-key-under-test", block);
        }
        Assert.Contains("operator-token-under-test", ServiceBlock(config, "platform"));
    }

    /// <summary>The lines of one service in the resolved configuration (two-space indented YAML).</summary>
    private static string ServiceBlock(string config, string service)
    {
        var lines = config.Split('\n');
        int start = Array.FindIndex(lines, l => l == $"  {service}:");
        Assert.True(start >= 0, $"service {service} not in the resolved configuration");
        var block = new List<string>();
        for (int i = start + 1; i < lines.Length && (lines[i].StartsWith("    ", StringComparison.Ordinal) || lines[i].Length == 0); i++)
            block.Add(lines[i]);
        return string.Join('\n', block);
    }
}
