using PoisonRange.Range.Reports;
using Xunit;

namespace PoisonRange.Range.Tests;

public class LineObserverTests
{
    [Fact]
    public void A_long_phase_prints_its_progress_at_most_once_per_interval_and_a_short_one_only_its_end()
    {
        var now = TimeSpan.Zero;
        var output = new StringWriter();
        var observer = new LineObserver(output, TimeSpan.FromSeconds(10), () => now);

        observer.PhaseStarted("seed 1 · loki", "generate");
        observer.PhaseStarted("seed 1 · random", "generate");
        now = TimeSpan.FromSeconds(3);
        observer.PhaseProgress("seed 1 · loki", "generate", 1, 10, "simulator: training fpmc");
        observer.PhaseFinished("seed 1 · random", "generate", 3);
        now = TimeSpan.FromSeconds(11);
        observer.PhaseProgress("seed 1 · loki", "generate", 2, 10, "estimator: LiSSA step 5/100");
        now = TimeSpan.FromSeconds(15);
        observer.PhaseProgress("seed 1 · loki", "generate", 3, 10, "estimator: LiSSA step 50/100");
        now = TimeSpan.FromSeconds(22);
        observer.PhaseProgress("seed 1 · loki", "generate", 4, 10, null);
        observer.PhaseFinished("seed 1 · loki", "generate", 22);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
        [
            "seed 1 · random: generate 3.00 s",
            "seed 1 · loki: generate 2/10 · estimator: LiSSA step 5/100 (11 s)",
            "seed 1 · loki: generate 4/10 (22 s)",
            "seed 1 · loki: generate 22.00 s",
        ], lines);
    }
}
