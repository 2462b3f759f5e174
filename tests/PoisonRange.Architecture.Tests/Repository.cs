using System.Xml.Linq;

namespace PoisonRange.Architecture.Tests;

/// <summary>The repository as the rules see it: its root, its projects and their reference graph.</summary>
internal static class Repository
{
    public static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microservices.sln"))) return dir.FullName;
        throw new InvalidOperationException("Microservices.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>A path relative to the root, with forward slashes.</summary>
    public static string Rel(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    public static string Full(string relative) => Path.GetFullPath(Path.Combine(Root, relative));

    /// <summary>Every project file under a folder of the root (none when the folder does not exist).</summary>
    public static IEnumerable<string> Projects(string folder) =>
        Directory.Exists(Path.Combine(Root, folder))
            ? Directory.EnumerateFiles(Path.Combine(Root, folder), "*.csproj", SearchOption.AllDirectories)
                .Where(p => !Rel(p).Contains("/bin/", StringComparison.Ordinal) && !Rel(p).Contains("/obj/", StringComparison.Ordinal))
            : [];

    /// <summary>The projects <paramref name="project"/> names in its ProjectReference items (full paths).</summary>
    public static IEnumerable<string> DirectReferences(string project) =>
        XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, r.Attribute("Include")!.Value)));

    /// <summary>Every project reachable from <paramref name="project"/> through ProjectReference, itself included.</summary>
    public static IReadOnlySet<string> Closure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([Path.GetFullPath(project)]);
        while (stack.Count > 0)
        {
            var p = stack.Pop();
            if (!seen.Add(p)) continue;
            foreach (var reference in DirectReferences(p)) stack.Push(reference);
        }
        return seen;
    }

    /// <summary>A host: a project on the Web SDK (it has a Program and its own settings), never a library.</summary>
    public static bool IsHost(string project) =>
        string.Equals(XDocument.Load(project).Root?.Attribute("Sdk")?.Value, "Microsoft.NET.Sdk.Web", StringComparison.OrdinalIgnoreCase);

    /// <summary>The assembly a project builds: its AssemblyName, else the project file's name.</summary>
    public static string AssemblyName(string project) =>
        XDocument.Load(project).Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault(v => v.Length > 0)
        ?? Path.GetFileNameWithoutExtension(project);
}
