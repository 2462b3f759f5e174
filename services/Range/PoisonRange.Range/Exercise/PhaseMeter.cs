using System.Diagnostics;
using System.Globalization;
using PoisonRange.Range.Reports;

namespace PoisonRange.Range.Exercise;

/// <summary>
/// Measures wall-clock and peak memory of sequential phases. Peak memory is the process's peak
/// resident set during the phase: on Linux the kernel's high-water mark (reset at the start of
/// each phase through /proc/self/clear_refs), elsewhere the maximum of samples taken every 50 ms.
/// </summary>
public sealed class PhaseMeter : IDisposable
{
    private readonly Timer _sampler;
    private readonly object _gate = new();
    private long _phasePeak;
    private long _runPeak;
    private readonly bool _kernelPeak;

    public PhaseMeter()
    {
        _kernelPeak = TryResetKernelPeak();
        _sampler = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
    }

    /// <summary>Peak resident memory seen over every phase so far.</summary>
    public long RunPeakBytes
    {
        get
        {
            Sample();
            lock (_gate) return _runPeak;
        }
    }

    /// <summary>Runs <paramref name="work"/> as the phase <paramref name="name"/> and adds its measurement to <paramref name="phases"/>.</summary>
    public async Task<T> MeasureAsync<T>(string name, List<Phase> phases, Func<Task<T>> work)
    {
        Begin();
        var clock = Stopwatch.StartNew();
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            clock.Stop();
            phases.Add(new Phase(name, Math.Round(clock.Elapsed.TotalSeconds, 3), End()));
        }
    }

    public async Task MeasureAsync(string name, List<Phase> phases, Func<Task> work) =>
        await MeasureAsync<bool>(name, phases, async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private void Begin()
    {
        if (_kernelPeak) TryResetKernelPeak();
        lock (_gate) _phasePeak = 0;
        Sample();
    }

    private long End()
    {
        Sample();
        long peak;
        lock (_gate) peak = _phasePeak;
        if (_kernelPeak && ReadKernelPeak() is { } hwm)
        {
            peak = Math.Max(peak, hwm);
            lock (_gate) _runPeak = Math.Max(_runPeak, hwm);
        }
        return peak;
    }

    private void Sample()
    {
        long current = Environment.WorkingSet;
        lock (_gate)
        {
            if (current > _phasePeak) _phasePeak = current;
            if (current > _runPeak) _runPeak = current;
        }
    }

    private static bool TryResetKernelPeak()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // "5" resets the peak resident set size (VmHWM) of the process.
            File.WriteAllText("/proc/self/clear_refs", "5");
            return ReadKernelPeak() is not null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long? ReadKernelPeak()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var parts = line["VmHWM:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
                    return kb * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }

    public void Dispose() => _sampler.Dispose();
}
