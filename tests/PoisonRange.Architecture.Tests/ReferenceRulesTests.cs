using System.Xml.Linq;
using Xunit;
using static PoisonRange.Architecture.Tests.Repository;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// The threat boundary, checked on the project graph: attacker code reaches the platform only
/// through its public client, and the data library stays free of TorchSharp and gRPC.
/// </summary>
public sealed class ReferenceRulesTests
{
    private static IEnumerable<string> PackagesOf(IEnumerable<string> projects) =>
        projects.SelectMany(p => XDocument.Load(p).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value));

    [Fact]
    public void Attacker_projects_never_reference_platform_projects()
    {
        var attackers = Projects("services/Attacker").ToList();
        Assert.NotEmpty(attackers);
        foreach (var attacker in attackers)
        {
            var offending = Closure(attacker).Where(p => Rel(p).StartsWith("services/Platform/", StringComparison.Ordinal)).ToList();
            Assert.True(offending.Count == 0, $"{Rel(attacker)} reaches {string.Join(", ", offending.Select(Rel))}");
        }
    }

    [Fact]
    public void Data_never_references_torchsharp_or_grpc()
    {
        var data = Path.Combine(Root, "services/Shared/PoisonRange.Data/PoisonRange.Data.csproj");
        var packages = PackagesOf(Closure(data)).ToList();
        Assert.DoesNotContain(packages, p => p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(packages, p => p.StartsWith("Grpc", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("services/Shared/PoisonRange.Contracts")]
    [InlineData("services/Shared/PoisonRange.Contracts.Referee")]
    public void Contracts_hold_no_hand_written_code(string folder)
    {
        var dir = Path.Combine(Root, folder);
        Assert.True(Directory.Exists(dir), folder + " is missing");
        var sources = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Rel(f).Contains("/obj/", StringComparison.Ordinal) && !Rel(f).Contains("/bin/", StringComparison.Ordinal));
        Assert.Empty(sources);
    }

    [Fact]
    public void Csproj_files_carry_no_package_versions()
    {
        var withVersions = Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !Rel(p).Contains("/bin/", StringComparison.Ordinal) && !Rel(p).Contains("/obj/", StringComparison.Ordinal))
            .Where(p => XDocument.Load(p).Descendants("PackageReference").Any(r => r.Attribute("Version") is not null))
            .Select(Rel)
            .ToList();
        Assert.True(withVersions.Count == 0, "versions belong in Directory.Packages.props: " + string.Join(", ", withVersions));
    }

    [Fact]
    public void Closure_follows_transitive_references()
    {
        // The rules above are only as good as the closure: a test project that references the
        // platform alone must be seen to reach the data library through it.
        var tests = Path.Combine(Root, "tests/PoisonRange.Platform.Tests/PoisonRange.Platform.Tests.csproj");
        var closure = Closure(tests).Select(Rel).ToList();
        Assert.Contains("services/Shared/PoisonRange.Data/PoisonRange.Data.csproj", closure);
        Assert.Contains("services/Platform/PoisonRange.Platform.Stores/PoisonRange.Platform.Stores.csproj", closure);
    }
}
