using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PoisonRange.Recommenders.Internal;

/// <summary>
/// Process settings libtorch's OpenMP runtime reads once, when it is loaded. By default its
/// worker threads spin while they wait; on a machine with few cores that is shared with other
/// work (the platform's request threads, other services in the embedded mode, CI), spinning
/// makes multi-threaded training many times slower. Passive waiting is set before the native
/// library can load, unless the operator chose a policy already.
/// </summary>
internal static class NativeRuntimeSettings
{
#pragma warning disable CA2255 // The setting must be in place before any TorchSharp type loads libtorch.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null) return;
        try
        {
            // The managed environment is a copy on Unix: the native one is what libgomp reads.
            _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // Without libc's setenv the default policy stays; training is slower, not wrong.
        }
    }

#pragma warning disable SYSLIB1054 // A plain DllImport needs no unsafe code in this project.
    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetEnv(string name, string value, int overwrite);
#pragma warning restore SYSLIB1054
}
