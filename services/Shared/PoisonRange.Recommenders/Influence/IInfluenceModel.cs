using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Influence;

/// <summary>A target of the attack: raise the score of <see cref="Item"/> for <see cref="User"/> (LOKI's (u', v')).</summary>
public readonly record struct TargetPair(int User, int Item)
{
    public override string ToString() => $"({User}, {Item})";
}

/// <summary>
/// A differentiable view of a trained recommender at its trained parameters θ̂, for influence
/// functions (Koh and Liang 2017; LOKI §3.3). Every tensor is float64 on the CPU.
/// </summary>
/// <remarks>
/// <para><b>Objective.</b> The view exposes the model's own training objective as a sum over
/// training samples, L(θ) = Σ_z ℓ(z; θ) + R(θ), the regularisation R spread over the samples. Fit
/// minimises the mean of the same terms, which has the same minimiser; with the sum, adding one
/// sample z with weight 1 moves θ̂ by −H⁻¹∇ℓ(z) and the score f of a target by
/// −∇f·H⁻¹∇ℓ(z) = −s_test·∇ℓ(z), which is LOKI's Eq. 4–5 with ε = 1/N absorbed.</para>
/// <para><b>Units.</b> The training samples are grouped into units (a (user, item) pair for BPR-MF,
/// a training window for GRU4Rec, a transition for FPMC and TransRec) so that a stochastic
/// Hessian-vector product can draw a batch of units; <see cref="TrainingLoss"/> of all units is
/// L(θ).</para>
/// <para>Not thread-safe: one caller at a time.</para>
/// </remarks>
public interface IInfluenceModel : IDisposable
{
    /// <summary>The kind of the underlying recommender ("bprmf", "fpmc", "gru4rec", "transrec").</summary>
    string Kind { get; }

    /// <summary>The parameter tensors θ (float64 leaves that require grad), in a fixed order.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Total number of scalar parameters.</summary>
    long ParameterCount { get; }

    /// <summary>Number of training units (the sampling unit of stochastic Hessian-vector products).</summary>
    int TrainingUnitCount { get; }

    /// <summary>Number of training samples N over all units.</summary>
    long TrainingSampleCount { get; }

    /// <summary>Σ ℓ(z; θ) over the samples of <paramref name="units"/>, plus their share of the regularisation (a scalar).</summary>
    Tensor TrainingLoss(ReadOnlySpan<int> units);

    /// <summary>The scores f(u', v'; θ) the recommender serves for the targets (a vector, differentiable in θ).</summary>
    Tensor TargetScores(IReadOnlyList<TargetPair> targets);

    /// <summary>
    /// The training samples a new account with this ordered sequence would add (LOKI §3.3: for
    /// sequential models the prefix → next-item pairs; for BPR-MF its distinct items, each against
    /// a fixed negative), as a batch ready for <see cref="SampleLosses"/>.
    /// </summary>
    SampleBatch ProfileSamples(IReadOnlyList<int[]> profiles);

    /// <summary>The training samples of a training user (for the influence of removing the user, Fang Eq. 8).</summary>
    SampleBatch UserSamples(int user);

    /// <summary>The per-sample losses ℓ(z; θ) of a batch (a vector of <see cref="SampleBatch.Count"/> entries).</summary>
    Tensor SampleLosses(SampleBatch batch);
}

/// <summary>
/// Training samples prepared by a model: which group (profile, user) each sample belongs to, and
/// any parameters of their own (a new account's user vector in BPR-MF and FPMC, its translation
/// offset in TransRec), fixed at their fold-in value for influence, trainable when the samples are
/// actually added in a refit.
/// </summary>
public abstract class SampleBatch : IDisposable
{
    protected SampleBatch(int groups, int[] groupOfSample)
    {
        Groups = groups;
        GroupOfSample = groupOfSample;
    }

    /// <summary>Number of groups (profiles) in the batch.</summary>
    public int Groups { get; }

    /// <summary>The group of each sample.</summary>
    public int[] GroupOfSample { get; }

    public int Count => GroupOfSample.Length;

    /// <summary>Parameters that belong to the samples' own (new) users, not to θ; empty for models without user parameters.</summary>
    public virtual IReadOnlyList<Tensor> OwnParameters => [];

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
