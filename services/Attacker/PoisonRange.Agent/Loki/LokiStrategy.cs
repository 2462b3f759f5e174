namespace PoisonRange.Agent.Loki;

/// <summary>
/// The LOKI attack as an <see cref="IAttackStrategy"/>: groups the view's items, trains the agent
/// against a reward made for the context, and generates the context's fake profiles with the
/// trained policy. It is not in <see cref="StrategyRegistry.Baselines"/>: it needs a reward,
/// which in the full pipeline is the influence estimator over the simulator ensemble. Wire it with
/// <c>registry.Add(new LokiStrategy(ctx => new FunctionProfileReward(estimator.ScoreProfiles)))</c>
/// once the estimator exists. Parameters: see <see cref="LokiOptions.ParameterNames"/>.
/// </summary>
public sealed class LokiStrategy(Func<AttackContext, IProfileReward> rewardFactory, LokiOptions? defaults = null) : IAttackStrategy
{
    private readonly Func<AttackContext, IProfileReward> _rewardFactory = rewardFactory ?? throw new ArgumentNullException(nameof(rewardFactory));

    public string Name => LokiTrainer.StrategyName;

    public string Description => "LOKI: DQN agent over NMF/K-means item groups, trained on an outcome reward (LOKI §3.4).";

    /// <summary>The last training run's result (for reports).</summary>
    public LokiTrainingResult? LastTraining { get; private set; }

    public async Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate();
        var options = LokiOptions.FromContext(context, defaults);
        var reward = _rewardFactory(context) ?? throw new InvalidOperationException("The LOKI reward factory returned no reward.");
        context.Progress?.Report(new AttackProgress("groups", 0, 1, $"loki: grouping {context.View.ItemCount} items into {options.Grouping.Groups} groups + targets"));
        var anchors = options.AnchorItems(context.View, context.TargetUsers, context.TargetItems);
        var groups = ItemGrouping.Compute(context.View, context.TargetItems, options.Grouping, cancellationToken, anchors);
        var report = groups.Report!;
        context.Progress?.Report(new AttackProgress("groups", 1, 1, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"loki: {groups.Count} groups (NMF {report.NmfIterations} iterations, {report.NmfTime.TotalSeconds:F1} s; k-means {report.KMeansTime.TotalSeconds:F1} s)")));
        using var trainer = new LokiTrainer(context.View, context.TargetItems, reward, options, groups);
        LastTraining = await trainer.TrainAsync(context.Progress, cancellationToken).ConfigureAwait(false);
        return trainer.GenerateProfiles(context, cancellationToken);
    }
}
