using PoisonRange.Contracts.Platform.V1;

namespace PoisonRange.Platform.Engine;

/// <summary>
/// A scenario with every default filled in. In the Referee's <see cref="Scenario"/>, a numeric
/// limit of 0 means "the platform default" and a negative one means "unlimited".
/// </summary>
public static class ScenarioSettings
{
    public const int DefaultAccountsPerKey = 5_000;
    public const int DefaultActionsPerAccount = 100;
    public const int DefaultQueriesPerAccountPerWindow = 20;
    public const long DefaultQueryWindowMs = 1_000;
    public const long DefaultQueryBudgetPerKey = 100_000;
    public const int DefaultCrawlPagesPerKey = 10_000;
    public const int DefaultMaxPageSize = 1_000;
    public const int DefaultKMax = 100;
    public const int DefaultRegistrationWindowMs = 1_000;
    public const string DefaultAttackerKey = "attacker";

    /// <summary>Returns a copy of <paramref name="scenario"/> with defaults applied and everything validated.</summary>
    public static Scenario Resolve(Scenario scenario)
    {
        var s = scenario.Clone();
        s.Name = string.IsNullOrWhiteSpace(s.Name) ? "default" : s.Name.Trim();
        s.Dataset ??= new DatasetSpec();
        if (string.IsNullOrWhiteSpace(s.Dataset.Source)) s.Dataset.Source = "synthetic";
        if (string.IsNullOrWhiteSpace(s.Dataset.Format)) s.Dataset.Format = "auto";
        s.Dataset.Synthetic ??= new SyntheticSpec();
        if (s.Dataset.Synthetic.Users < 0 || s.Dataset.Synthetic.Items < 0 || s.Dataset.Synthetic.Rank < 0 || s.Dataset.Synthetic.MeanLength < 0)
            throw new ScenarioException("dataset.synthetic: users, items, rank and mean_length must not be negative.");

        s.Victim ??= new VictimSpec();
        if (string.IsNullOrWhiteSpace(s.Victim.Kind)) s.Victim.Kind = "bprmf";
        s.Victim.Kind = s.Victim.Kind.Trim().ToLowerInvariant();

        s.Retrain ??= new RetrainPolicy();
        if (s.Retrain.IntervalMs < 0) throw new ScenarioException("retrain.interval_ms must not be negative.");
        if (s.Retrain.EveryNewInteractions < 0) throw new ScenarioException("retrain.every_new_interactions must not be negative.");
        if (s.Retrain.Jitter is < 0 or > 1 || double.IsNaN(s.Retrain.Jitter)) throw new ScenarioException("retrain.jitter must be within 0..1.");

        s.Limits ??= new Limits();
        var l = s.Limits;
        l.AccountsPerKey = Default(l.AccountsPerKey, DefaultAccountsPerKey);
        l.RegistrationsPerWindow = Default(l.RegistrationsPerWindow, -1);
        l.RegistrationWindowMs = l.RegistrationWindowMs <= 0 ? DefaultRegistrationWindowMs : l.RegistrationWindowMs;
        l.ActionsPerAccount = Default(l.ActionsPerAccount, DefaultActionsPerAccount);
        l.QueriesPerAccountPerWindow = Default(l.QueriesPerAccountPerWindow, DefaultQueriesPerAccountPerWindow);
        l.QueryWindowMs = l.QueryWindowMs <= 0 ? DefaultQueryWindowMs : l.QueryWindowMs;
        l.QueryBudgetPerKey = l.QueryBudgetPerKey == 0 ? DefaultQueryBudgetPerKey : l.QueryBudgetPerKey;
        l.CrawlPagesPerKey = Default(l.CrawlPagesPerKey, DefaultCrawlPagesPerKey);
        l.MaxPageSize = l.MaxPageSize <= 0 ? DefaultMaxPageSize : l.MaxPageSize;
        l.KMax = l.KMax <= 0 ? DefaultKMax : l.KMax;
        if (l.MinRating == 0 && l.MaxRating == 0) { l.MinRating = 1; l.MaxRating = 5; }
        if (!(l.MinRating <= l.MaxRating)) throw new ScenarioException($"limits: min_rating {l.MinRating} is above max_rating {l.MaxRating}.");

        s.Knowledge ??= new KnowledgePolicy();
        s.Knowledge.InteractionFraction = Fraction(s.Knowledge.InteractionFraction, "knowledge.interaction_fraction");
        s.Knowledge.UserFraction = Fraction(s.Knowledge.UserFraction, "knowledge.user_fraction");

        if (s.AttackerKeys.Count == 0) s.AttackerKeys.Add(DefaultAttackerKey);
        foreach (var key in s.AttackerKeys)
            if (string.IsNullOrWhiteSpace(key)) throw new ScenarioException("attacker_keys must not contain an empty key.");
        return s;
    }

    private static int Default(int value, int fallback) => value == 0 ? fallback : value;

    private static double Fraction(double value, string name)
    {
        if (value == 0) return 1;
        if (double.IsNaN(value) || value < 0 || value > 1) throw new ScenarioException($"{name} must be within (0, 1], got {value}.");
        return value;
    }
}
