using System.Xml.Linq;
using Xunit;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// The threat boundary, checked on the project graph: attacker code reaches the platform only
/// through its public client, and the data library stays free of TorchSharp and gRPC.
/// </summary>
public sealed class ReferenceRulesTests
{
    internal static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln"))) return dir.FullName;
        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }

    internal static string Rel(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    /// <summary>Every project reachable from <paramref name="project"/> through ProjectReference, itself included.</summary>
    internal static IReadOnlySet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([Path.GetFullPath(project)]);
        while (stack.Count > 0)
        {
            var p = stack.Pop();
            if (!seen.Add(p)) continue;
            foreach (var reference in XDocument.Load(p).Descendants("ProjectReference"))
                stack.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(p)!, reference.Attribute("Include")!.Value)));
        }
        return seen;
    }

    private static IEnumerable<string> PackagesOf(IEnumerable<string> projects) =>
        projects.SelectMany(p => XDocument.Load(p).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value));

    private static IEnumerable<string> Projects(string folder) =>
        Directory.Exists(Path.Combine(Root, folder))
            ? Directory.EnumerateFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories)
            : [];

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

    [Fact]
    public void Contracts_hold_no_hand_written_code()
    {
        var dir = Path.Combine(Root, "services/Shared/PoisonRange.Contracts");
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
