using PoisonRange.Recommenders.Influence;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Estimator;

/// <summary>Why an iterative solve stopped.</summary>
public enum SolveStatus
{
    Converged,
    StoppedWithoutConvergence,
    Diverged,
}

/// <summary>The outcome of one LiSSA solve over several right-hand sides.</summary>
/// <param name="Iterations">Recursion steps of the last repeat.</param>
/// <param name="RelativeChange">max over right-hand sides of ‖x_t − x_{t−1}‖ / ‖x_t‖ at the last step.</param>
public sealed record LissaResult(SolveStatus Status, int Iterations, double RelativeChange, TimeSpan Elapsed);

/// <summary>Progress of a solve, reported every few steps.</summary>
public readonly record struct LissaProgress(int Repeat, int Repeats, int Iteration, int Depth, double RelativeChange);

/// <summary>Hessian-vector products of a view's objective by double backward, and the LiSSA solver.</summary>
public static class Lissa
{
    /// <summary>An owned alpha of 1 for add/add_ (a temporary scalar may be freed by the GC while libtorch still reads it).</summary>
    private static readonly Scalar One = 1.0.ToScalar();

    /// <summary>
    /// Hessian-vector products H_B v for every v in <paramref name="vectors"/>, H_B the Hessian of
    /// <c>weight · TrainingLoss(units)</c>: one gradient with <c>create_graph</c>, then one
    /// backward of g·v per vector.
    /// </summary>
    public static Tensor[][] HessianVectorProducts(IInfluenceModel model, ReadOnlySpan<int> units, double weight, IReadOnlyList<Tensor[]> vectors)
    {
        var parameters = model.Parameters.ToArray();
        using var w = weight.ToScalar();
        var loss = model.TrainingLoss(units).mul(w);
        // create_graph together with retain_graph: create_graph alone kills the process on the second backward.
        var gradient = autograd.grad([loss], parameters, create_graph: true, retain_graph: true);
        var products = new Tensor[vectors.Count][];
        for (int k = 0; k < vectors.Count; k++)
        {
            var dot = Dot(gradient, vectors[k]);
            var hv = autograd.grad([dot], parameters, retain_graph: true);
            products[k] = hv.Select(t => t.detach()).ToArray();
        }
        return products;
    }

    /// <summary>Σ_p ⟨a_p, b_p⟩ as a scalar tensor (differentiable in a).</summary>
    public static Tensor Dot(IList<Tensor> a, IReadOnlyList<Tensor> b)
    {
        Tensor? sum = null;
        for (int p = 0; p < a.Count; p++)
        {
            var term = a[p].mul(b[p]).sum();
            sum = sum is null ? term : sum.add(term, One);
        }
        return sum ?? zeros(1, float64).sum();
    }

    /// <summary>
    /// Solves (H + λI) x = g for every g in <paramref name="rightHandSides"/> (one tensor per
    /// parameter each). Returns the solutions, detached, outside any dispose scope.
    /// </summary>
    public static (Tensor[][] Solutions, LissaResult Result) Solve(IInfluenceModel model, IReadOnlyList<Tensor[]> rightHandSides, LissaOptions options,
        IProgress<LissaProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rightHandSides);
        options.Validate();
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int units = model.TrainingUnitCount;
        int batch = options.BatchSize <= 0 || options.BatchSize >= units ? units : options.BatchSize;
        double weight = (double)units / batch;
        int count = rightHandSides.Count, parameterCount = model.Parameters.Count;
        var sums = rightHandSides.Select(g => g.Select(t => zeros_like(t).DetachFromDisposeScope()).ToArray()).ToArray();
        var rng = new Random(unchecked((int)(options.Seed ^ (options.Seed >> 32))));
        var order = Enumerable.Range(0, units).ToArray();
        var status = SolveStatus.StoppedWithoutConvergence;
        int iterations = 0;
        double change = double.PositiveInfinity;
        double inverseScale = 1.0 / options.Scale;
        using var invScale = inverseScale.ToScalar();
        using var keep = (1.0 - options.Damping * inverseScale).ToScalar();
        using var minusInvScale = (-inverseScale).ToScalar();
        double gNorm = rightHandSides.Max(g => Norm(g));

        for (int repeat = 0; repeat < options.Repeats; repeat++)
        {
            var x = rightHandSides.Select(g => g.Select(t => t.detach().mul(invScale).DetachFromDisposeScope()).ToArray()).ToArray();
            int cursor = units;
            status = SolveStatus.StoppedWithoutConvergence;
            for (iterations = 1; iterations <= options.Depth; iterations++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                if (batch < units && cursor + batch > units)
                {
                    rng.Shuffle(order);
                    cursor = 0;
                }
                var batchUnits = batch < units ? order.AsSpan(cursor, batch) : order.AsSpan();
                cursor += batch;
                var hv = HessianVectorProducts(model, batchUnits, weight, x);
                change = 0;
                var next = new Tensor[count][];
                for (int k = 0; k < count; k++)
                {
                    next[k] = new Tensor[parameterCount];
                    double diff = 0, norm = 0;
                    for (int p = 0; p < parameterCount; p++)
                    {
                        // x ← (1 − λ/s) x + g/s − H x / s
                        var updated = x[k][p].mul(keep).add(rightHandSides[k][p], invScale).add(hv[k][p], minusInvScale);
                        using var delta = updated.sub(x[k][p]);
                        diff += delta.mul(delta).sum().item<double>();
                        norm += updated.mul(updated).sum().item<double>();
                        next[k][p] = updated;
                    }
                    double relative = norm > 0 ? Math.Sqrt(diff / norm) : 0;
                    if (!double.IsFinite(norm) || Math.Sqrt(norm) > 1e12 * Math.Max(gNorm, 1e-300) * (1 + inverseScale))
                        status = SolveStatus.Diverged;
                    change = Math.Max(change, double.IsFinite(relative) ? relative : double.PositiveInfinity);
                }
                for (int k = 0; k < count; k++)
                    for (int p = 0; p < parameterCount; p++)
                    {
                        x[k][p].Dispose();
                        x[k][p] = next[k][p].DetachFromDisposeScope();
                    }
                if (status == SolveStatus.Diverged) break;
                if (iterations % 10 == 0 || iterations == options.Depth)
                    progress?.Report(new LissaProgress(repeat + 1, options.Repeats, iterations, options.Depth, change));
                if (options.Tolerance > 0 && change <= options.Tolerance)
                {
                    status = SolveStatus.Converged;
                    break;
                }
            }
            iterations = Math.Min(iterations, options.Depth);
            for (int k = 0; k < count; k++)
                for (int p = 0; p < parameterCount; p++)
                {
                    sums[k][p].add_(x[k][p], One);
                    x[k][p].Dispose();
                }
            if (status == SolveStatus.Diverged) break;
        }
        using var average = (1.0 / options.Repeats).ToScalar();
        foreach (var solution in sums)
            foreach (var t in solution) t.mul_(average);
        return (sums, new LissaResult(status, iterations, change, stopwatch.Elapsed));
    }

    private static double Norm(Tensor[] vector)
    {
        double sum = 0;
        foreach (var t in vector)
        {
            using var d = t.detach();
            sum += d.mul(d).sum().item<double>();
        }
        return Math.Sqrt(sum);
    }
}
