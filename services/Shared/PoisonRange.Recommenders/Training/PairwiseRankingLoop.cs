using System.Diagnostics;
using PoisonRange.Data;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Training;

/// <summary>
/// The positive samples of a pairwise ranking objective: per sample a user, optionally the item
/// the user consumed just before (sequential BPR), and the positive item; the negatives of each
/// sample (one for BPR, several for CML) are drawn afresh every epoch, uniformly from the items the
/// user has not interacted with.
/// </summary>
public sealed class PairwiseSamples
{
    /// <param name="users">The user of each sample.</param>
    /// <param name="previous">The previous item of each sample (S-BPR), or null (BPR).</param>
    /// <param name="positives">The positive item of each sample.</param>
    /// <param name="userItems">Per user, the distinct items, sorted: what the negative sampler excludes.
    /// Every user of a sample must have fewer than <paramref name="items"/> of them.</param>
    /// <param name="items">The catalogue size.</param>
    /// <param name="negativesPerSample">Negatives drawn per sample and epoch (at least 1).</param>
    public PairwiseSamples(int[] users, int[]? previous, int[] positives, int[][] userItems, int items, int negativesPerSample = 1)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(positives);
        ArgumentNullException.ThrowIfNull(userItems);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(items);
        if (positives.Length != users.Length || (previous is not null && previous.Length != users.Length))
            throw new ArgumentException($"The sample columns differ in length: {users.Length} users, {previous?.Length.ToString() ?? "no"} previous items, {positives.Length} positives.");
        if (negativesPerSample < 1 || (long)users.Length * negativesPerSample > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(negativesPerSample), negativesPerSample,
                $"{users.Length} samples with {negativesPerSample} negatives each: at least 1 and at most {int.MaxValue} negatives in all.");
        NegativesPerSample = negativesPerSample;
        Users = users;
        Previous = previous;
        Positives = positives;
        UserItems = userItems;
        Items = items;
    }

    /// <summary>The user of each sample.</summary>
    public int[] Users { get; }

    /// <summary>The previous item of each sample (S-BPR), or null (BPR).</summary>
    public int[]? Previous { get; }

    /// <summary>The positive item of each sample.</summary>
    public int[] Positives { get; }

    /// <summary>Per user, the distinct items, sorted: what the negative sampler excludes.</summary>
    public int[][] UserItems { get; }

    /// <summary>The catalogue size; negatives are drawn from 0..<see cref="Items"/> − 1.</summary>
    public int Items { get; }

    /// <summary>Negatives drawn per sample and epoch.</summary>
    public int NegativesPerSample { get; }

    /// <summary>The number of samples.</summary>
    public int Count => Users.Length;
}

/// <summary>
/// One mini-batch of <see cref="PairwiseSamples"/> as index tensors; <see cref="Previous"/> only for
/// S-BPR; <see cref="Negatives"/> is a vector with one negative per sample, else batch × negatives.
/// </summary>
public readonly record struct PairwiseBatch(Tensor Users, Tensor? Previous, Tensor Positives, Tensor Negatives);

/// <summary>
/// A network trained by <see cref="PairwiseRankingLoop"/>: it scores the positive and the negative
/// item of each sample and returns the regularised pairwise loss. Derived networks register their
/// parameters (<c>RegisterComponents()</c>) and pass every scalar of their loss explicitly from
/// <see cref="Scalars"/> (see <see cref="ScalarCache"/>).
/// </summary>
public abstract class PairwiseRankingNetwork : nn.Module
{
    /// <param name="name">The module name.</param>
    /// <param name="l2">λ of the L2 penalty of <see cref="RankingLoss"/>, applied to the batch mean of the squared norms.</param>
    protected PairwiseRankingNetwork(string name, double l2 = 0) : base(name)
    {
        L2 = l2;
    }

    /// <summary>λ of the L2 penalty.</summary>
    protected double L2 { get; }

    /// <summary>The scalars of the loss; disposed with the network.</summary>
    protected ScalarCache Scalars { get; } = new();

    /// <summary>
    /// The loss of a mini-batch that ranks each sample's positive above its negatives: for BPR the
    /// mean regularised −ln σ(x_ui − x_uj) of Rendle et al. 2009 (<see cref="RankingLoss"/>; the previous
    /// item enters the score for S-BPR, Rendle et al. 2010), for CML a weighted hinge on distances.
    /// </summary>
    public abstract Tensor BatchLoss(PairwiseBatch batch);

    /// <summary>Runs after every optimiser step (a projection such as TransRec's onto the unit ball); nothing by default.</summary>
    public virtual void AfterStep() { }

    /// <summary>−mean ln σ(x) + (λ / batch)·penalty, with x the score differences x_ui − x_uj of the batch.</summary>
    protected Tensor RankingLoss(Tensor x, Tensor penalty)
        => nn.functional.logsigmoid(x).mean().neg().add(penalty, Scalars[L2 / x.shape[0]]);

    /// <summary>Adds b_i − b_j to the score differences and b_i² + b_j² to the penalty when the network has item biases.</summary>
    protected void AddItemBias(Embedding? itemBias, PairwiseBatch batch, ref Tensor x, ref Tensor penalty)
    {
        if (itemBias is null) return;
        var bi = itemBias.forward(batch.Positives).squeeze(1);
        var bj = itemBias.forward(batch.Negatives).squeeze(1);
        x = x.add(bi, Scalars.One).add(bj, Scalars.MinusOne);
        penalty = penalty.add(SquaredNorm(bi), Scalars.One).add(SquaredNorm(bj), Scalars.One);
    }

    /// <summary>The sum of the squared entries of <paramref name="t"/>.</summary>
    protected static Tensor SquaredNorm(Tensor t) => t.mul(t).sum();

    /// <summary>Copies a parameter out as a row-major float array.</summary>
    protected static float[] Copy(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    /// <summary>Disposes the cached scalars with the module.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Scalars.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>The optimisation settings of <see cref="PairwiseRankingLoop"/>.</summary>
/// <param name="Epochs">Passes over the samples, each in a fresh seeded order with fresh negatives.</param>
/// <param name="BatchSize">Samples per optimiser step (the last batch of an epoch may be smaller).</param>
/// <param name="Optimizer">Adam or SGD (<see cref="TorchOptimizer"/>).</param>
/// <param name="LearningRate">The step size at the first step.</param>
/// <param name="FinalLearningRateFactor">The step size falls linearly to <paramref name="LearningRate"/> × this
/// at the last planned step (<see cref="TorchOptimizer.LinearSchedule"/>); 1 keeps it constant.</param>
public sealed record PairwiseRankingSchedule(int Epochs, int BatchSize, OptimizerKind Optimizer, double LearningRate, double FinalLearningRateFactor = 1);

/// <summary>
/// The mini-batch training loop of the pairwise ranking models (BPR-MF, FPMC, TransRec, CML) and
/// of surrogates trained the same way. Per epoch: the samples are shuffled with the model's seeded
/// generator, the negatives of every sample are drawn in the shuffled order (in that order, from
/// the same generator), and the samples are cut into consecutive mini-batches; per mini-batch the
/// gradients are cleared, <see cref="PairwiseRankingNetwork.BatchLoss"/> is back-propagated, the
/// optimiser steps and <see cref="PairwiseRankingNetwork.AfterStep"/> runs. Progress reports the
/// sample-weighted mean loss of each epoch.
/// </summary>
/// <remarks>
/// The network is put in training mode for the loop and in evaluation mode after it. Everything
/// random comes from the generator passed in, so the result is reproducible for a fixed seed and
/// libtorch thread count; cancellation is checked before every epoch and every mini-batch.
/// </remarks>
public static class PairwiseRankingLoop
{
    /// <summary>The optimiser steps <paramref name="schedule"/> takes over <paramref name="samples"/> samples.</summary>
    public static long PlannedSteps(PairwiseRankingSchedule schedule, int samples)
        => (long)schedule.Epochs * ((samples + (long)schedule.BatchSize - 1) / schedule.BatchSize);

    /// <summary>Trains <paramref name="network"/> on <paramref name="samples"/>; see the class remarks.</summary>
    /// <param name="network">The network to train, in place.</param>
    /// <param name="samples">The positive samples; negatives are drawn afresh every epoch.</param>
    /// <param name="schedule">Epochs, batch size, optimizer and step size.</param>
    /// <param name="rng">The seeded generator of the sample order and the negatives (the model zoo uses
    /// <see cref="BoundedIntegers.Full64Bits"/>).</param>
    /// <param name="clock">Started when the fit began; its elapsed time goes into each progress report.</param>
    /// <param name="progress">Receives one report per epoch, or null.</param>
    /// <param name="cancellationToken">Checked before every epoch and every mini-batch.</param>
    public static void Run(PairwiseRankingNetwork network, PairwiseSamples samples, PairwiseRankingSchedule schedule, SeededRandom rng,
        Stopwatch clock, IProgress<TrainProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(clock);
        if (schedule.Epochs < 0)
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule.Epochs, $"The schedule's epochs must be at least 0; got {schedule.Epochs}.");
        if (schedule.BatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(schedule), schedule.BatchSize, $"The schedule's batch size must be at least 1; got {schedule.BatchSize}.");
        int count = samples.Count, batchSize = schedule.BatchSize, k = samples.NegativesPerSample;
        using var optimizer = new TorchOptimizer(network.parameters(), schedule.Optimizer, schedule.LearningRate,
            finalLearningRateFactor: schedule.FinalLearningRateFactor, plannedSteps: PlannedSteps(schedule, count));
        network.train();

        var order = new int[count];
        for (int t = 0; t < count; t++) order[t] = t;
        var batchUsers = new long[count];
        var batchPrevious = samples.Previous is null ? null : new long[count];
        var batchPositives = new long[count];
        var batchNegatives = new long[(long)count * k];

        for (int epoch = 0; epoch < schedule.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            rng.Shuffle(order.AsSpan());
            for (int t = 0; t < count; t++)
            {
                int sample = order[t];
                int u = samples.Users[sample];
                batchUsers[t] = u;
                if (batchPrevious is not null) batchPrevious[t] = samples.Previous![sample];
                batchPositives[t] = samples.Positives[sample];
                for (int s = 0; s < k; s++)
                    batchNegatives[(long)t * k + s] = ImplicitFeedback.SampleNegative(rng, samples.UserItems[u], samples.Items);
            }

            double lossSum = 0;
            using (var epochScope = NewDisposeScope())
            {
                var allUsers = tensor(batchUsers);
                var allPrevious = batchPrevious is null ? null : tensor(batchPrevious);
                var allPositives = tensor(batchPositives);
                var allNegatives = k == 1 ? tensor(batchNegatives) : tensor(batchNegatives).reshape(count, k);
                for (int start = 0; start < count; start += batchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int length = Math.Min(batchSize, count - start);
                    using var batchScope = NewDisposeScope();
                    optimizer.ZeroGrad();
                    var loss = network.BatchLoss(new PairwiseBatch(
                        allUsers.narrow(0, start, length),
                        allPrevious?.narrow(0, start, length),
                        allPositives.narrow(0, start, length),
                        allNegatives.narrow(0, start, length)));
                    loss.backward();
                    optimizer.Step();
                    network.AfterStep();
                    lossSum += loss.item<float>() * (double)length;
                }
            }
            progress?.Report(new TrainProgress(epoch + 1, schedule.Epochs, count == 0 ? 0 : lossSum / count, clock.Elapsed));
        }
        network.eval();
    }
}
