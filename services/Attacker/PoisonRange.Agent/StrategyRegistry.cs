using PoisonRange.Agent.Strategies;

namespace PoisonRange.Agent;

/// <summary>
/// The attack strategies an agent offers, by name. Names match case-insensitively and ignore
/// '-' and '_' ("co-visit" finds "covisit"). New strategies (the LOKI agent, optimisation
/// attacks) are added with <see cref="Add"/> or registered in DI as <see cref="IAttackStrategy"/>.
/// </summary>
public sealed class StrategyRegistry
{
    private readonly Dictionary<string, IAttackStrategy> _byKey = new(StringComparer.Ordinal);
    private readonly List<IAttackStrategy> _ordered = [];
    private readonly Lock _lock = new();

    public StrategyRegistry(IEnumerable<IAttackStrategy> strategies)
    {
        ArgumentNullException.ThrowIfNull(strategies);
        foreach (var s in strategies) Add(s);
    }

    /// <summary>The heuristic baselines: none, random, popular, bandwagon, covisit, randfilter.</summary>
    public static IReadOnlyList<IAttackStrategy> Baselines() =>
    [
        new NoneStrategy(),
        new RandomStrategy(),
        new PopularStrategy(),
        new PopularStrategy(PopularStrategy.BandwagonName),
        new CoVisitStrategy(),
        new RandFilterStrategy(),
    ];

    public static StrategyRegistry CreateDefault() => new(Baselines());

    public IReadOnlyList<IAttackStrategy> All
    {
        get
        {
            lock (_lock) return _ordered.ToArray();
        }
    }

    public void Add(IAttackStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var key = Normalize(strategy.Name);
        if (key.Length == 0) throw new ArgumentException("A strategy needs a name.", nameof(strategy));
        lock (_lock)
        {
            if (!_byKey.TryAdd(key, strategy))
                throw new ArgumentException($"A strategy named '{strategy.Name}' is already registered.", nameof(strategy));
            _ordered.Add(strategy);
        }
    }

    public bool TryGet(string name, out IAttackStrategy strategy)
    {
        lock (_lock) return _byKey.TryGetValue(Normalize(name ?? ""), out strategy!);
    }

    /// <summary>The strategy named <paramref name="name"/>; <see cref="UnknownStrategyException"/> lists the known ones otherwise.</summary>
    public IAttackStrategy Get(string name)
        => TryGet(name, out var s) ? s : throw new UnknownStrategyException(name, All.Select(x => x.Name).ToArray());

    private static string Normalize(string name)
        => new string(name.Where(c => c is not ('-' or '_' or ' ')).ToArray()).ToLowerInvariant();
}

public sealed class UnknownStrategyException(string name, IReadOnlyList<string> known)
    : KeyNotFoundException($"Unknown attack strategy '{name}'; known: {string.Join(", ", known)}.")
{
    public string Name { get; } = name;
    public IReadOnlyList<string> Known { get; } = known;
}
