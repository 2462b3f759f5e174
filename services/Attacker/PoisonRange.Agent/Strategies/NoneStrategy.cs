namespace PoisonRange.Agent.Strategies;

/// <summary>No attack (LOKI §4.2.1 "None"): the reference point of every comparison.</summary>
public sealed class NoneStrategy : IAttackStrategy
{
    public string Name => "none";

    public string Description => "No attack: no fake profiles (LOKI §4.2.1).";

    public Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate(needsTargets: false);
        return Task.FromResult<IReadOnlyList<FakeProfileSpec>>([]);
    }
}
