using PoisonRange.Data;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using PoisonRange.Recommenders.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>Settings of a warm-started refit (the ground truth an influence estimate is checked against).</summary>
public sealed record RefitOptions
{
    /// <summary>Gradient steps (1..1000000).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Step size; with SGD on the summed objective, 1/scale of LiSSA gives the same step.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Training units per step; 0 uses every unit (full-batch, deterministic).</summary>
    public int BatchUnits { get; init; }

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>Seeds the order of the units in mini-batch refits.</summary>
    public ulong Seed { get; init; }

    internal void Validate()
    {
        if (Steps is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"RefitOptions.Steps must be between 1 and 1000000; got {Steps}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"RefitOptions.LearningRate must be positive; got {LearningRate}.");
        if (BatchUnits < 0) throw new ArgumentOutOfRangeException(nameof(BatchUnits), BatchUnits, $"RefitOptions.BatchUnits must be 0 or positive; got {BatchUnits}.");
    }
}

/// <summary>
/// Re-minimises a view's training objective from its current parameters, optionally with extra
/// profiles added (their own parameters, e.g. a new BPR user vector, train jointly from their
/// fold-in), reads the target scores, and restores the parameters. A stochastic step uses
/// (units / batch)·L(batch) + Σ ℓ(profile samples), an unbiased estimate of the new objective.
/// Comparing a refit with profiles to one without, from the same start with the same batches,
/// cancels the drift of an imperfectly converged start.
/// </summary>
public static class InfluenceRefit
{
    public static double[] Run(IInfluenceModel model, IReadOnlyList<int[]> profiles, IReadOnlyList<TargetPair> targets, RefitOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var snapshot = model.Parameters.Select(p => p.detach().clone()).ToArray();
        using var samples = profiles.Count > 0 ? model.ProfileSamples(profiles) : null;
        var trainable = model.Parameters.Concat(samples?.OwnParameters ?? []).Cast<Parameter>().ToArray();
        var ownRequired = samples?.OwnParameters.Select(p => p.requires_grad).ToArray() ?? [];
        foreach (var p in samples?.OwnParameters ?? []) p.requires_grad_(true);
        try
        {
            using var optimizer = new TorchOptimizer(trainable, options.Optimizer, options.LearningRate);
            int units = model.TrainingUnitCount;
            int batch = options.BatchUnits <= 0 || options.BatchUnits >= units ? units : options.BatchUnits;
            var order = Enumerable.Range(0, units).ToArray();
            var rng = new SeededRandom(options.Seed, BoundedIntegers.Full64Bits);
            if (batch < units) rng.Shuffle(order.AsSpan());
            int cursor = 0;
            using var weight = ((double)units / batch).ToScalar();
            using var one = 1.0.ToScalar();
            for (int step = 0; step < options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (cursor + batch > units)
                {
                    rng.Shuffle(order.AsSpan());
                    cursor = 0;
                }
                var loss = model.TrainingLoss(order.AsSpan(cursor, batch)).mul(weight);
                cursor += batch;
                if (samples is not null && samples.Count > 0) loss = loss.add(model.SampleLosses(samples).sum(), one);
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step();
            }
            using var noGrad = no_grad();
            using var readScope = NewDisposeScope();
            return model.TargetScores(targets).data<double>().ToArray();
        }
        finally
        {
            using (no_grad())
                for (int k = 0; k < snapshot.Length; k++)
                {
                    model.Parameters[k].copy_(snapshot[k]);
                    using var grad = model.Parameters[k].grad;
                    grad?.zero_();
                    snapshot[k].Dispose();
                }
            var own = samples?.OwnParameters ?? [];
            for (int k = 0; k < own.Count; k++) own[k].requires_grad_(ownRequired[k]);
        }
    }
}
