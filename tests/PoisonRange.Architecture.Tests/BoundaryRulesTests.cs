using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit;
using static PoisonRange.Architecture.Tests.Repository;

namespace PoisonRange.Architecture.Tests;

/// <summary>
/// The operator's Referee API stays out of the attackers' reach, checked twice: on the project
/// graph, and on the assemblies the attacker projects actually build (every attacker project is
/// built before these tests run, see the project file). And services are services: a host is
/// never referenced as a library.
/// </summary>
public sealed class BoundaryRulesTests
{
    private const string RefereeProject = "services/Shared/PoisonRange.Contracts.Referee/PoisonRange.Contracts.Referee.csproj";
    private const string RefereeAssembly = "PoisonRange.Contracts.Referee";
    private const string RefereeNamespace = "PoisonRange.Contracts.Platform.V1";
    private const string RefereeServiceType = "Referee";

    private static string Configuration =>
        typeof(BoundaryRulesTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    [Fact]
    public void Referee_contract_is_referenced_only_by_the_platform_and_the_range()
    {
        Assert.True(File.Exists(Full(RefereeProject)), RefereeProject + " is missing");
        var offending = Projects("services")
            .Where(p => Closure(p).Contains(Full(RefereeProject)) && Path.GetFullPath(p) != Full(RefereeProject))
            .Select(Rel)
            .Where(p => !p.StartsWith("services/Platform/", StringComparison.Ordinal) && !p.StartsWith("services/Range/", StringComparison.Ordinal))
            .ToList();
        Assert.True(offending.Count == 0, "only the platform and the range may reach the referee contract: " + string.Join(", ", offending));
    }

    [Fact]
    public void Public_contracts_do_not_compile_the_referee_proto()
    {
        var contracts = File.ReadAllText(Full("services/Shared/PoisonRange.Contracts/PoisonRange.Contracts.csproj"));
        Assert.Contains("Exclude=\"../../../protos/poisonrange/platform/v1/referee.proto\"", contracts, StringComparison.Ordinal);
    }

    [Fact]
    public void Attacker_assemblies_neither_reference_nor_contain_the_referee_contract()
    {
        var attackers = Projects("services/Attacker").ToList();
        Assert.NotEmpty(attackers);
        foreach (var project in attackers)
        {
            var (dir, closure) = BuiltClosure(project);
            Assert.False(File.Exists(Path.Combine(dir, RefereeAssembly + ".dll")), $"{Rel(project)}: {RefereeAssembly}.dll is in its output");
            Assert.DoesNotContain(RefereeAssembly, closure.Keys);
            foreach (var (name, path) in closure)
                Assert.False(DefinesType(path, RefereeNamespace, RefereeServiceType), $"{Rel(project)}: {name} contains {RefereeNamespace}.{RefereeServiceType}");
        }
    }

    [Fact]
    public void Built_closure_sees_the_referee_where_it_belongs()
    {
        // The check above is only as good as the walk: the platform's own build must be seen to
        // reach the referee assembly and the type in it.
        var (_, closure) = BuiltClosure(Full("services/Platform/PoisonRange.Platform/PoisonRange.Platform.csproj"));
        Assert.Contains(RefereeAssembly, closure.Keys);
        Assert.True(DefinesType(closure[RefereeAssembly], RefereeNamespace, RefereeServiceType));
        Assert.False(DefinesType(closure["PoisonRange.Contracts"], RefereeNamespace, RefereeServiceType));
    }

    [Fact]
    public void No_service_references_a_host_as_a_library()
    {
        // Only the embedded composition starts hosts in one process (and tests drive hosts in
        // process); every other project reaches a service through its gRPC client. The range CLI
        // reaches hosts only through the embedded composition, never by a reference of its own.
        const string embedded = "services/Range/PoisonRange.Range.Embedded/";
        const string rangeCli = "services/Range/PoisonRange.Range/";
        var offending = new List<string>();
        foreach (var project in Projects("services").Where(p => !Rel(p).StartsWith(embedded, StringComparison.Ordinal)))
        {
            var reachable = Rel(project).StartsWith(rangeCli, StringComparison.Ordinal) ? DirectReferences(project) : Closure(project);
            foreach (var reference in reachable.Where(r => r != Path.GetFullPath(project) && IsHost(r)))
                offending.Add($"{Rel(project)} -> {Rel(reference)}");
        }
        Assert.True(offending.Count == 0, "hosts referenced as libraries: " + string.Join(", ", offending));
    }

    [Fact]
    public void Host_detection_sees_the_web_sdk()
    {
        Assert.True(IsHost(Full("services/Platform/PoisonRange.Platform/PoisonRange.Platform.csproj")));
        Assert.False(IsHost(Full("services/Shared/PoisonRange.Contracts/PoisonRange.Contracts.csproj")));
    }

    /// <summary>
    /// The PoisonRange assemblies a project's build reaches from its own assembly through
    /// assembly references, resolved in its output folder (name → path).
    /// </summary>
    private static (string Dir, Dictionary<string, string> Closure) BuiltClosure(string project)
    {
        var dir = Path.Combine(Path.GetDirectoryName(project)!, "bin", Configuration, "net10.0");
        var main = AssemblyName(project);
        Assert.True(File.Exists(Path.Combine(dir, main + ".dll")),
            $"{Rel(project)} is not built in {Rel(dir)}: the architecture tests' project references every project under services/Attacker");
        var closure = new Dictionary<string, string>(StringComparer.Ordinal);
        var stack = new Stack<string>([main]);
        while (stack.Count > 0)
        {
            var name = stack.Pop();
            var path = Path.Combine(dir, name + ".dll");
            if (closure.ContainsKey(name) || !name.StartsWith("PoisonRange.", StringComparison.Ordinal) || !File.Exists(path)) continue;
            closure[name] = path;
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            foreach (var handle in md.AssemblyReferences)
                stack.Push(md.GetString(md.GetAssemblyReference(handle).Name));
        }
        return (dir, closure);
    }

    private static bool DefinesType(string assemblyPath, string ns, string name)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return md.TypeDefinitions.Select(md.GetTypeDefinition)
            .Any(t => md.GetString(t.Namespace) == ns && md.GetString(t.Name) == name);
    }
}
