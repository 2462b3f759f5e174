using System.Runtime.InteropServices;
using PoisonRange.Recommenders;
using Xunit;

namespace PoisonRange.Recommenders.Tests;

public sealed class NativeRuntimeSettingsTests
{
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern IntPtr NativeGetEnv(string name);
#pragma warning restore SYSLIB1054

    [Fact]
    public void OpenMP_waits_passively_unless_the_operator_chose_otherwise()
    {
        // Touching the library runs its module initializer.
        Assert.Contains("bprmf", RecommenderFactory.Kinds);
        var native = Marshal.PtrToStringAnsi(NativeGetEnv("OMP_WAIT_POLICY"));
        var chosen = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(chosen ?? "PASSIVE", native);
    }
}
