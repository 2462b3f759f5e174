using System.Reflection;
using System.Runtime.InteropServices;
using PoisonRange.Range.Reports;

namespace PoisonRange.Range.Exercise;

/// <summary>How one run is identified and where it writes.</summary>
/// <param name="Command">"exercise", "inject" or "experiment".</param>
/// <param name="Mode">"embedded" or "remote".</param>
/// <param name="DatasetSource">The dataset source as the platform must see it (paths made absolute in embedded mode).</param>
public sealed record RunSettings(string RunId, string Command, string Mode, string OutputDirectory, string DatasetSource)
{
    /// <summary>The range's version and commit (from the assembly's informational version) and the machine it runs on.</summary>
    public static RunVersions CurrentVersions()
    {
        var info = typeof(RunSettings).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        int plus = info.IndexOf('+');
        var version = plus >= 0 ? info[..plus] : info;
        var commit = plus >= 0 ? info[(plus + 1)..] : null;
        return new RunVersions(version, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription, Environment.ProcessorCount, commit);
    }
}
