namespace PoisonRange.Simulator;

/// <summary>How the weights were chosen.</summary>
public enum WeightMethod
{
    /// <summary>No fit probes (a zero budget, or every probe failed): every model weighs 1/M.</summary>
    Uniform,
    /// <summary>Softmax of the mean distances at a fixed temperature.</summary>
    FixedTemperature,
    /// <summary>Softmax of the mean distances at the temperature that cross-validation chose.</summary>
    CrossValidatedTemperature,
}

/// <summary>The fitted weights and how they were obtained.</summary>
/// <param name="Weights">Non-negative, summing to one, in model order.</param>
/// <param name="FitDistance">Each model's mean Kendall tau distance on the fit probes (NaN without fit probes).</param>
/// <param name="Temperature">τ of the softmax; null for uniform weights.</param>
/// <param name="LinearChoice">The index of the model the plain linear Eq. 1 objective puts all weight on (lowest fit distance); −1 without fit probes.</param>
public sealed record WeightFit(double[] Weights, double[] FitDistance, double? Temperature, WeightMethod Method, int LinearChoice, string Message);

/// <summary>
/// Fits the ensemble weights of LOKI Eq. 1, min_w Σ_m w_m d̄_m over the simplex, where d̄_m is
/// model m's mean Kendall tau distance to the platform's top-K over the fit probes.
/// </summary>
/// <remarks>
/// Eq. 1 is linear in w, so its minimum over the simplex is a vertex: all weight on the single
/// model with the lowest mean distance, whatever the margin (0.401 against 0.402 gives 1 and 0)
/// and however few probes measured it. We add an entropy regulariser, min_w Σ w_m d̄_m − τ H(w),
/// whose exact minimiser is the softmax w_m ∝ exp(−d̄_m / τ). τ → 0 recovers the linear
/// solution, τ → ∞ the uniform vote. Distances are normalised to [0, 1], so τ is on their scale:
/// τ = 0.02 makes a model 0.05 closer to the platform weigh e^2.5 ≈ 12 times more. τ is chosen
/// by k-fold cross-validation over the fit probes, scoring the ensemble's own top-K (the weighted
/// vote) against the platform's, which is what the attacker uses; ties go to the larger τ (the
/// smoother weights). With fewer than 4 fit probes τ is <see cref="SimulatorOptions.DefaultTemperature"/>.
/// </remarks>
public static class WeightFitter
{
    public static WeightFit Fit(ProbeScores scores, IReadOnlyList<int> fitProbes, SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(fitProbes);
        ArgumentNullException.ThrowIfNull(options);
        int models = scores.Kinds.Count;
        var distance = scores.MeanDistance(fitProbes);
        if (fitProbes.Count == 0)
            return new WeightFit(Uniform(models), distance, null, WeightMethod.Uniform, -1,
                "no fit probes: uniform weights (nothing was measured against the platform)");

        int linear = ArgMin(distance);
        if (options.Temperature is { } fixedT)
            return new WeightFit(Softmax(distance, fixedT), distance, fixedT, WeightMethod.FixedTemperature, linear,
                $"entropy-regularised Eq. 1, softmax at the configured temperature {fixedT:0.####}");
        if (fitProbes.Count < 4)
            return new WeightFit(Softmax(distance, options.DefaultTemperature), distance, options.DefaultTemperature, WeightMethod.FixedTemperature, linear,
                $"entropy-regularised Eq. 1, softmax at the default temperature {options.DefaultTemperature:0.####} ({fitProbes.Count} fit probes are too few to cross-validate)");

        var (temperature, cvDistance) = CrossValidate(scores, fitProbes, options);
        return new WeightFit(Softmax(distance, temperature), distance, temperature, WeightMethod.CrossValidatedTemperature, linear,
            $"entropy-regularised Eq. 1, softmax at temperature {temperature:0.####} chosen by {Math.Min(options.CrossValidationFolds, fitProbes.Count)}-fold cross-validation (ensemble distance {cvDistance:0.0000})");
    }

    /// <summary>w_m ∝ exp(−d_m / τ), computed stably; equal distances give equal weights.</summary>
    public static double[] Softmax(ReadOnlySpan<double> distance, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        double min = double.PositiveInfinity;
        foreach (var d in distance) min = Math.Min(min, d);
        var w = new double[distance.Length];
        double sum = 0;
        for (int m = 0; m < w.Length; m++)
        {
            w[m] = Math.Exp(-(distance[m] - min) / temperature);
            sum += w[m];
        }
        for (int m = 0; m < w.Length; m++) w[m] /= sum;
        return w;
    }

    public static double[] Uniform(int models)
    {
        var w = new double[models];
        Array.Fill(w, 1.0 / models);
        return w;
    }

    private static int ArgMin(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] < values[best]) best = i;
        return best;
    }

    private static (double Temperature, double Distance) CrossValidate(ProbeScores scores, IReadOnlyList<int> fitProbes, SimulatorOptions options)
    {
        int folds = Math.Min(options.CrossValidationFolds, fitProbes.Count);
        var grid = options.TemperatureGrid.Distinct().Order().ToArray();
        var foldWeights = new double[folds][];
        var foldTrain = new List<int>[folds];
        var foldTest = new List<int>[folds];
        for (int f = 0; f < folds; f++)
        {
            foldTrain[f] = [];
            foldTest[f] = [];
            for (int i = 0; i < fitProbes.Count; i++)
                (i % folds == f ? foldTest[f] : foldTrain[f]).Add(fitProbes[i]);
        }
        var foldDistance = new double[folds][];
        for (int f = 0; f < folds; f++) foldDistance[f] = scores.MeanDistance(foldTrain[f]);

        double bestT = grid[^1], bestLoss = double.PositiveInfinity;
        // From the largest τ down, so that a tie keeps the smoother weights.
        for (int g = grid.Length - 1; g >= 0; g--)
        {
            double loss = 0;
            for (int f = 0; f < folds; f++)
            {
                foldWeights[f] = Softmax(foldDistance[f], grid[g]);
                loss += scores.EnsembleAgreement(foldTest[f], foldWeights[f]).Kendall * foldTest[f].Count;
            }
            loss /= fitProbes.Count;
            if (loss < bestLoss - 1e-12)
            {
                bestLoss = loss;
                bestT = grid[g];
            }
        }
        return (bestT, bestLoss);
    }
}
