namespace PoisonRange.Agent.Loki;

/// <summary>
/// Scores candidate fake profiles for the LOKI agent: for each ordered profile of dense item
/// indices of the attacker's view, the (predicted) change of the target items' scores for the
/// target users that injecting it would cause (LOKI Eq. 6; higher is better for the attacker).
/// The influence estimator implements it through <see cref="FunctionProfileReward"/>;
/// <see cref="RetrainProfileReward"/> is the exact, slow reference.
/// </summary>
public interface IProfileReward
{
    /// <summary>One finite score per profile, in order. An empty profile scores 0.</summary>
    Task<double[]> ScoreProfilesAsync(IReadOnlyList<int[]> profiles, CancellationToken cancellationToken);
}

/// <summary>
/// A reward from a synchronous batch function, e.g. the estimator's
/// <c>ScoreProfiles(IReadOnlyList&lt;int[]&gt;) → double[]</c>:
/// <c>new FunctionProfileReward(estimator.ScoreProfiles)</c>.
/// </summary>
public sealed class FunctionProfileReward(Func<IReadOnlyList<int[]>, double[]> score) : IProfileReward
{
    private readonly Func<IReadOnlyList<int[]>, double[]> _score = score ?? throw new ArgumentNullException(nameof(score));

    public Task<double[]> ScoreProfilesAsync(IReadOnlyList<int[]> profiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_score(profiles));
    }
}
