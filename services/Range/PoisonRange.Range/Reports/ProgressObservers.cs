using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using PoisonRange.Range.Exercise;
using Spectre.Console;

namespace PoisonRange.Range.Reports;

/// <summary>One Spectre.Console progress bar per seed and attack, showing the current phase.</summary>
internal sealed class ProgressBarObserver(ProgressContext context) : IExerciseObserver
{
    private static readonly string[] Phases = ["configure", "targets", "generate", "inject", "retrain", "evaluate"];
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

    private ProgressTask Task(string scope) => _tasks.GetOrAdd(scope, s => context.AddTask(Markup.Escape(s), autoStart: true, maxValue: 100));

    public void PhaseStarted(string scope, string phase)
    {
        var task = Task(scope);
        task.Description = Markup.Escape($"{scope}: {phase}");
        task.IsIndeterminate = phase is "configure" or "retrain";
        task.Value = Math.Max(task.Value, StartOf(phase));
    }

    public void PhaseProgress(string scope, string phase, long done, long total, string? message)
    {
        var task = Task(scope);
        task.Description = Markup.Escape($"{scope}: {phase}{(total > 0 ? $" {done}/{total}" : "")}{(message is null ? "" : " · " + message)}");
        if (total > 0)
        {
            task.IsIndeterminate = false;
            double start = StartOf(phase), end = EndOf(phase);
            task.Value = Math.Max(task.Value, start + (end - start) * Math.Clamp(done / (double)total, 0, 1));
        }
    }

    public void PhaseFinished(string scope, string phase, double seconds)
    {
        var task = Task(scope);
        task.IsIndeterminate = false;
        task.Value = Math.Max(task.Value, EndOf(phase));
        if (phase == "evaluate")
        {
            task.Description = Markup.Escape($"{scope}: done");
            task.Value = 100;
            task.StopTask();
        }
    }

    public void Warning(string message) { }

    private static double StartOf(string phase) => 100.0 * Math.Max(Array.IndexOf(Phases, phase), 0) / Phases.Length;

    private static double EndOf(string phase) => 100.0 * (Math.Max(Array.IndexOf(Phases, phase), 0) + 1) / Phases.Length;
}

/// <summary>
/// One line per finished phase, for logs and redirected output; a long phase also prints its
/// progress, at most one line per <paramref name="interval"/> (default 10 s) for each scope and phase.
/// </summary>
internal sealed class LineObserver(TextWriter writer, TimeSpan? interval = null, Func<TimeSpan>? clock = null) : IExerciseObserver
{
    private readonly object _gate = new();
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(10);
    private readonly Func<TimeSpan> _clock = clock ?? StartClock();
    private readonly Dictionary<(string, string), TimeSpan> _started = [];
    private readonly Dictionary<(string, string), TimeSpan> _lastLine = [];

    private static Func<TimeSpan> StartClock()
    {
        var start = Stopwatch.GetTimestamp();
        return () => Stopwatch.GetElapsedTime(start);
    }

    public void PhaseStarted(string scope, string phase)
    {
        lock (_gate) _started[(scope, phase)] = _clock();
    }

    public void PhaseProgress(string scope, string phase, long done, long total, string? message)
    {
        lock (_gate)
        {
            var now = _clock();
            var key = (scope, phase);
            // The first line comes one interval into the phase, so that short phases print nothing but their end.
            var since = _lastLine.TryGetValue(key, out var last) ? last : _started.GetValueOrDefault(key, now);
            if (now - since < _interval) return;
            _lastLine[key] = now;
            var share = total > 0 ? string.Create(CultureInfo.InvariantCulture, $" {done}/{total}") : "";
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scope}: {phase}{share}{(string.IsNullOrWhiteSpace(message) ? "" : " · " + message)} ({(now - _started.GetValueOrDefault(key, now)).TotalSeconds:0} s)"));
        }
    }

    public void PhaseFinished(string scope, string phase, double seconds)
    {
        lock (_gate)
        {
            _started.Remove((scope, phase));
            _lastLine.Remove((scope, phase));
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{scope}: {phase} {seconds:0.00} s"));
        }
    }

    public void Warning(string message)
    {
        lock (_gate) writer.WriteLine($"warning: {message}");
    }
}
