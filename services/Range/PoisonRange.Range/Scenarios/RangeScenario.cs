namespace PoisonRange.Range.Scenarios;

/// <summary>
/// Everything an exercise needs, as read from a scenario file (JSON or YAML, camelCase names)
/// and overridden from the command line. Defaults follow the protocol of docs/architecture.md scaled to the
/// synthetic data. The resolved scenario is written into every report.
/// </summary>
public sealed class RangeScenario
{
    public static readonly IReadOnlyList<string> DefaultAttacks = ["none", "random", "popular", "covisit"];

    /// <summary>A short name for reports.</summary>
    public string Name { get; set; } = "default";

    public DatasetSection Dataset { get; set; } = new();

    public VictimSection Victim { get; set; } = new();

    /// <summary>
    /// Attack strategies to run against the same clean baseline: names the agent knows
    /// ("none" is the baseline itself), or "file:&lt;path&gt;" for a saved profiles file.
    /// </summary>
    public List<string> Attacks { get; set; } = [.. DefaultAttacks];

    /// <summary>Per-strategy parameters passed to the agent (strategy name → key → value).</summary>
    public Dictionary<string, Dictionary<string, string>> AttackParameters { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public TargetSection Targets { get; set; } = new();

    public BudgetSection Budget { get; set; } = new();

    /// <summary>Length of the recommendation lists evaluated (HR@K, display rate).</summary>
    public int K { get; set; } = 10;

    /// <summary>
    /// Further list lengths evaluated on the same models after every attack (LOKI reports K = 10
    /// and 40): the attacks and the headline figures use <see cref="K"/>, these are reported beside it.
    /// </summary>
    public List<int> AlsoK { get; set; } = [];

    /// <summary>Seed of the first repeat; repeat r uses seed + r unless <see cref="Seeds"/> is given.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>Number of repeats with different seeds.</summary>
    public int Repeats { get; set; } = 1;

    /// <summary>Explicit seeds, one per repeat (overrides <see cref="Seed"/> and <see cref="Repeats"/>).</summary>
    public List<ulong> Seeds { get; set; } = [];

    public PlatformSection Platform { get; set; } = new();

    public InjectionSection Injection { get; set; } = new();

    public ServicesSection Services { get; set; } = new();

    /// <summary>Output directory; default runs/&lt;timestamp&gt;/.</summary>
    public string? Output { get; set; }

    /// <summary>The seeds this scenario runs, in order.</summary>
    public IReadOnlyList<ulong> ResolvedSeeds()
    {
        if (Seeds.Count > 0) return Seeds;
        var seeds = new ulong[Math.Max(Repeats, 0)];
        for (int i = 0; i < seeds.Length; i++) seeds[i] = unchecked(Seed + (ulong)i);
        return seeds;
    }

    /// <summary>Replaces null sections (an empty YAML mapping, "targets: null") with their defaults.</summary>
    public void FillMissingSections()
    {
        Name ??= "default";
        Dataset ??= new();
        Dataset.Synthetic ??= new();
        Victim ??= new();
        Victim.HyperParameters ??= new(StringComparer.Ordinal);
        Attacks ??= [.. DefaultAttacks];
        AlsoK ??= [];
        AttackParameters ??= new(StringComparer.OrdinalIgnoreCase);
        Targets ??= new();
        Targets.ItemIds ??= [];
        Targets.UserIds ??= [];
        Budget ??= new();
        Seeds ??= [];
        Platform ??= new();
        Platform.Retrain ??= new();
        Platform.Limits ??= new();
        Platform.Knowledge ??= new();
        Injection ??= new();
        Services ??= new();
    }
}

public sealed class DatasetSection
{
    /// <summary>"synthetic", a dataset name under the platform's data directory, or a file path.</summary>
    public string Source { get; set; } = "synthetic";

    /// <summary>auto | movielens | delimited | recbole | sequence.</summary>
    public string Format { get; set; } = "auto";

    /// <summary>k-core threshold on users and items (LOKI uses 5); 0 keeps everything.</summary>
    public int MinInteractions { get; set; } = 5;

    /// <summary>Hold out each user's last two interactions from training (LOKI's protocol).</summary>
    public bool LeaveLastTwoOut { get; set; } = true;

    public SyntheticSection Synthetic { get; set; } = new();
}

/// <summary>Size of the synthetic dataset; 0 leaves a value to the platform's generator.</summary>
public sealed class SyntheticSection
{
    public int Users { get; set; } = 600;
    public int Items { get; set; } = 300;
    public int Rank { get; set; } = 8;
    public int MeanLength { get; set; } = 20;
}

public sealed class VictimSection
{
    /// <summary>The platform's victim model (bprmf, poprec, ... as the platform supports).</summary>
    public string Kind { get; set; } = "bprmf";

    public Dictionary<string, string> HyperParameters { get; set; } = new(StringComparer.Ordinal);
}

public sealed class TargetSection
{
    /// <summary>Number of target items the range draws from <see cref="Band"/>.</summary>
    public int Items { get; set; } = 5;

    /// <summary>Popularity band: all | unpopular (bottom half) | popular (top half) | "lo-hi" percentiles.</summary>
    public string Band { get; set; } = "unpopular";

    /// <summary>Explicit target item ids (override <see cref="Items"/> and <see cref="Band"/>).</summary>
    public List<string> ItemIds { get; set; } = [];

    /// <summary>Number of target users drawn at random from normal users.</summary>
    public int Users { get; set; } = 20;

    /// <summary>Explicit target user ids (override <see cref="Users"/>).</summary>
    public List<string> UserIds { get; set; } = [];
}

public sealed class BudgetSection
{
    /// <summary>Fake (controlled) users as a percentage of normal users.</summary>
    public double FakeUserPercent { get; set; } = 3;

    /// <summary>An absolute number of fake users (overrides <see cref="FakeUserPercent"/> when above 0).</summary>
    public int FakeUsers { get; set; }

    /// <summary>Interactions per fake user (LOKI's M); also the platform's per-account action limit unless set there.</summary>
    public int ActionsPerUser { get; set; } = 15;
}

/// <summary>Operator-side settings sent to the platform in Configure. 0 means the platform default, negative unlimited.</summary>
public sealed class PlatformSection
{
    public RetrainSection Retrain { get; set; } = new();
    public LimitsSection Limits { get; set; } = new();
    public KnowledgeSection Knowledge { get; set; } = new();
}

/// <summary>The platform's own retrain schedule; the range also forces a retrain before each evaluation.</summary>
public sealed class RetrainSection
{
    public long IntervalMs { get; set; }
    public int EveryNewInteractions { get; set; }
    public double Jitter { get; set; }
}

public sealed class LimitsSection
{
    public int AccountsPerKey { get; set; }
    public int RegistrationsPerWindow { get; set; }
    public long RegistrationWindowMs { get; set; }
    /// <summary>0: the budget's actions per user.</summary>
    public int ActionsPerAccount { get; set; }
    public int QueriesPerAccountPerWindow { get; set; }
    public long QueryWindowMs { get; set; }
    public long QueryBudgetPerKey { get; set; }
    public int CrawlPagesPerKey { get; set; }
    public int MaxPageSize { get; set; }
    public int KMax { get; set; }
    public float MinRating { get; set; }
    public float MaxRating { get; set; }
}

public sealed class KnowledgeSection
{
    /// <summary>Fraction of public interactions the crawl exposes (0 or 1: all).</summary>
    public double InteractionFraction { get; set; }

    /// <summary>Fraction of users the crawl exposes (0 or 1: all).</summary>
    public double UserFraction { get; set; }
}

public sealed class InjectionSection
{
    /// <summary>Interactions per Record call; 0: the actions per user (one call per account).</summary>
    public int BatchSize { get; set; }
}

/// <summary>Where the services run. Without a platform address the range runs embedded.</summary>
public sealed class ServicesSection
{
    public string? Platform { get; set; }
    public string? Referee { get; set; }
    public string? Agent { get; set; }
    public string? Injector { get; set; }

    /// <summary>The key the attacker services use on the Platform API (remote mode); listed in the scenario's attacker keys.</summary>
    public string? AttackerKey { get; set; }

    /// <summary>Embedded mode: where dataset names are looked up.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Deadline of each long call (configure, retrain, generate, inject), in seconds.</summary>
    public int TimeoutSeconds { get; set; } = 900;
}
