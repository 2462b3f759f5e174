using System.Globalization;

namespace PoisonRange.Estimator;

/// <summary>
/// Settings of the LiSSA inverse-Hessian-vector solver (Agarwal et al. 2017; LOKI Alg. 1). It
/// solves (H + Damping·I) x = g, H the Hessian of a model's summed training objective, by the
/// Richardson recursion x_t = x_{t−1} + (g − (H̃_t + Damping) x_{t−1}) / Scale from x_0 = g / Scale,
/// H̃_t the Hessian of a random batch of <see cref="BatchSize"/> training units scaled to the whole
/// set, for at most <see cref="Depth"/> steps, averaged over <see cref="Repeats"/> independent runs.
/// Bindable from configuration; <see cref="Validate"/> names the bad option in one line.
/// </summary>
/// <remarks>
/// Scale must exceed the largest eigenvalue of H + Damping (else the recursion diverges, which the
/// solver reports); Damping makes a non-convex Hessian positive definite and bounds the answer in
/// flat directions (Koh and Liang 2017 use it for the same reason).
/// </remarks>
public sealed record LissaOptions
{
    public static class Defaults
    {
        public const double Damping = 0.01;
        public const double Scale = 100;
        public const int Depth = 1000;
        public const int Repeats = 1;
        public const double Tolerance = 1e-4;
        public const int BatchSize = 512;
        public const ulong Seed = 0;
    }

    /// <summary>λ in (H + λI)⁻¹ (0 ≤ λ ≤ 1e6).</summary>
    public double Damping { get; init; } = Defaults.Damping;

    /// <summary>s, the inverse step of the recursion; above the largest eigenvalue of H + λ (0 &lt; s ≤ 1e12).</summary>
    public double Scale { get; init; } = Defaults.Scale;

    /// <summary>Maximum recursion steps T per repeat (1..10000000).</summary>
    public int Depth { get; init; } = Defaults.Depth;

    /// <summary>Independent runs averaged (1..1000).</summary>
    public int Repeats { get; init; } = Defaults.Repeats;

    /// <summary>Stop when ‖x_t − x_{t−1}‖ ≤ Tolerance·‖x_t‖ for every right-hand side (0 disables early stopping; 0 ≤ value &lt; 1).</summary>
    public double Tolerance { get; init; } = Defaults.Tolerance;

    /// <summary>Training units per stochastic Hessian-vector product; 0 uses every unit (exact, deterministic).</summary>
    public int BatchSize { get; init; } = Defaults.BatchSize;

    /// <summary>Seeds the batch draws (and BPR-MF's fixed negatives).</summary>
    public ulong Seed { get; init; } = Defaults.Seed;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with a one-line message naming the first bad option.</summary>
    public LissaOptions Validate()
    {
        if (!double.IsFinite(Damping) || Damping < 0 || Damping > 1e6) throw Bad(nameof(Damping), Damping, "between 0 and 1e6");
        if (!double.IsFinite(Scale) || Scale <= 0 || Scale > 1e12) throw Bad(nameof(Scale), Scale, "greater than 0 and at most 1e12");
        if (Depth is < 1 or > 10_000_000) throw Bad(nameof(Depth), Depth, "between 1 and 10000000");
        if (Repeats is < 1 or > 1000) throw Bad(nameof(Repeats), Repeats, "between 1 and 1000");
        if (!double.IsFinite(Tolerance) || Tolerance < 0 || Tolerance >= 1) throw Bad(nameof(Tolerance), Tolerance, "at least 0 and below 1");
        if (BatchSize < 0) throw Bad(nameof(BatchSize), BatchSize, "0 (every unit) or positive");
        return this;
    }

    /// <summary>A canonical text of every setting (part of the cache key).</summary>
    public string CacheText() => string.Create(CultureInfo.InvariantCulture,
        $"damping={Damping:R};scale={Scale:R};depth={Depth};repeats={Repeats};tol={Tolerance:R};batch={BatchSize};seed={Seed}");

    private static ArgumentOutOfRangeException Bad(string name, object value, string range)
        => new(name, value, string.Create(CultureInfo.InvariantCulture, $"LissaOptions.{name} must be {range}; got {value}."));
}
