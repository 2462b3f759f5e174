using Docker.DotNet;
using PoisonRange.Range.Cli;
using Xunit;

namespace PoisonRange.Containers.Tests;

/// <summary>
/// Whether these tests can run here: a Docker engine that answers, and the pinned images built
/// locally (there is no registry to pull them from). Decided once per test run.
/// </summary>
public static class DockerEngine
{
    /// <summary>Set by .ci/run once it has an engine and the images: then nothing may skip.</summary>
    public const string RequireVariable = "POISONRANGE_REQUIRE_DOCKER";

    /// <summary>The project image; the tag is the project version unless POISONRANGE_IMAGE names another.</summary>
    public static string ProjectImage { get; } =
        Environment.GetEnvironmentVariable("POISONRANGE_IMAGE") is { Length: > 0 } image ? image : $"poisonrange:{ProjectVersion()}";

    public const string RedisImage = "redis:7.0";

    public static Uri Endpoint { get; } = new(
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

    private static readonly Lazy<string?> Unavailable = new(Probe);

    /// <summary>Why the tests cannot run here, or null when they can.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) is "1" or "true";

    /// <summary>The reason to skip, or null to run (always null when the engine is required: then the fixture fails instead).</summary>
    public static string? SkipReason => Required ? null : UnavailableReason;

    public static DockerClient CreateClient() => new DockerClientBuilder().WithEndpoint(Endpoint).Build();

    private static string ProjectVersion()
    {
        var v = typeof(RangeCli).Assembly.GetName().Version ?? new Version(0, 0, 0);
        return $"{v.Major}.{v.Minor}.{v.Build}";
    }

    private static string? Probe()
    {
        try
        {
            using var client = CreateClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            client.System.PingAsync(timeout.Token).GetAwaiter().GetResult();
            // Testcontainers speaks API 1.44 unless told otherwise; older engines (Debian 12's
            // docker.io 20.10 speaks 1.41) answer every call with "client version is too new".
            var engine = client.System.GetVersionAsync(timeout.Token).GetAwaiter().GetResult();
            if (Version.TryParse(engine.APIVersion, out var api) && api < new Version(1, 44)
                && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_API_VERSION")))
                Environment.SetEnvironmentVariable("DOCKER_API_VERSION", engine.APIVersion);
            foreach (var image in new[] { ProjectImage, RedisImage })
            {
                try
                {
                    client.Images.InspectImageAsync(image, timeout.Token).GetAwaiter().GetResult();
                }
                catch (DockerImageNotFoundException)
                {
                    return $"the image {image} is not built here (no registry to pull from): run deploy/offline/build-base-images.sh, then docker build -f deploy/Dockerfile -t {ProjectImage} .";
                }
            }
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            return $"no Docker engine answers at {Endpoint} ({inner.Message.ReplaceLineEndings(" ")}); start one with `dockerd --storage-driver=vfs` (.ci/run does)";
        }
    }
}

/// <summary>A fact that needs the Docker engine and the pinned images; skipped, with the reason, where there are none.</summary>
public sealed class DockerFactAttribute : FactAttribute
{
    public DockerFactAttribute()
    {
        if (DockerEngine.SkipReason is { } reason) Skip = reason;
    }
}
