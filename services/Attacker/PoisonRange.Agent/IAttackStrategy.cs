using System.Globalization;
using PoisonRange.Data;

namespace PoisonRange.Agent;

/// <summary>
/// An attack strategy: from the attacker's view of the platform, the targets and the budget, it
/// produces fake profiles. Every profile has at most <see cref="AttackContext.ActionsPerUser"/>
/// actions, only catalogue items, no item twice, increasing timestamps and a stable id; the same
/// context (seed included) gives the same profiles.
/// </summary>
public interface IAttackStrategy
{
    /// <summary>Lower-case name used in requests ("random", "covisit", ...).</summary>
    string Name { get; }

    /// <summary>One sentence for listings, with the paper it follows.</summary>
    string Description { get; }

    Task<IReadOnlyList<FakeProfileSpec>> GenerateAsync(AttackContext context, CancellationToken cancellationToken);
}

/// <summary>One fake action on a dense item index of <see cref="AttackContext.View"/>.</summary>
public readonly record struct FakeAction(int Item, long TimestampMs, float? Rating = null);

/// <summary>One fake account's ordered actions.</summary>
public sealed record FakeProfileSpec(string ProfileId, IReadOnlyList<FakeAction> Actions);

/// <summary>Progress of a strategy or of the agent around it.</summary>
public readonly record struct AttackProgress(string Phase, long Done, long Total, string Message = "");

/// <summary>
/// What a strategy wants its caller to know besides the profiles: remarks (a model skipped, a
/// budget lowered) and wall-clock seconds per internal phase. Thread-safe.
/// </summary>
public sealed class AttackNotes
{
    private readonly Lock _lock = new();
    private readonly List<string> _remarks = [];
    private readonly List<KeyValuePair<string, double>> _phases = [];
    private long _delegatedQueries;
    private long _delegatedCrawlPages;

    public void Add(string remark)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(remark);
        lock (_lock) _remarks.Add(remark);
    }

    /// <summary>Adds <paramref name="seconds"/> to phase <paramref name="phase"/> (phases keep their first-seen order).</summary>
    public void AddPhase(string phase, double seconds)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(phase);
        lock (_lock)
        {
            int i = _phases.FindIndex(p => p.Key == phase);
            if (i < 0) _phases.Add(new(phase, seconds));
            else _phases[i] = new(phase, _phases[i].Value + seconds);
        }
    }

    /// <summary>
    /// Adds platform calls another attacker service made for this attack with the attacker key
    /// (LOKI: the simulator's crawl and probe queries); the Generate result counts them with the
    /// agent's own.
    /// </summary>
    public void AddDelegatedSpend(long queries, long crawlPages)
    {
        Interlocked.Add(ref _delegatedQueries, queries);
        Interlocked.Add(ref _delegatedCrawlPages, crawlPages);
    }

    public long DelegatedQueries => Interlocked.Read(ref _delegatedQueries);

    public long DelegatedCrawlPages => Interlocked.Read(ref _delegatedCrawlPages);

    public IReadOnlyList<string> Remarks
    {
        get
        {
            lock (_lock) return _remarks.ToArray();
        }
    }

    public IReadOnlyList<KeyValuePair<string, double>> PhaseSeconds
    {
        get
        {
            lock (_lock) return _phases.ToArray();
        }
    }
}

/// <summary>Everything a strategy may use. Indices refer to <see cref="View"/>.</summary>
public sealed class AttackContext
{
    private static readonly IReadOnlyDictionary<string, string> NoParameters = new Dictionary<string, string>();

    /// <summary>The attacker's view of the platform (from its crawl); external ids kept.</summary>
    public required InteractionDataset View { get; init; }

    /// <summary>Items to promote (dense indices).</summary>
    public IReadOnlyList<int> TargetItems { get; init; } = [];

    /// <summary>Users to whom the targets should be shown (dense indices); may be empty.</summary>
    public IReadOnlyList<int> TargetUsers { get; init; } = [];

    /// <summary>Number of fake profiles to produce.</summary>
    public int FakeUsers { get; init; }

    /// <summary>M: most actions a profile may have.</summary>
    public int ActionsPerUser { get; init; }

    public ulong Seed { get; init; }

    /// <summary>Free, strategy-specific parameters (strings, parsed with the invariant culture).</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = NoParameters;

    /// <summary>Timestamp of the first fake action; null: one step after the latest action in the view.</summary>
    public long? StartTimestampMs { get; init; }

    public IProgress<AttackProgress>? Progress { get; init; }

    /// <summary>Remarks and phase timings the strategy reports with its profiles (returned in the Generate result).</summary>
    public AttackNotes Notes { get; init; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> for an unusable context.</summary>
    public void Validate(bool needsTargets = true)
    {
        ArgumentNullException.ThrowIfNull(View);
        if (FakeUsers < 0) throw new ArgumentException($"fake_users must not be negative, got {FakeUsers}.");
        if (ActionsPerUser < 1) throw new ArgumentException($"actions_per_user must be at least 1, got {ActionsPerUser}.");
        if (needsTargets && TargetItems.Count == 0) throw new ArgumentException("At least one target item is required.");
        foreach (var t in TargetItems)
            if ((uint)t >= (uint)View.ItemCount) throw new ArgumentException($"Target item index {t} is outside the catalogue (0..{View.ItemCount - 1}).");
        if (TargetItems.Distinct().Count() != TargetItems.Count) throw new ArgumentException("Target items must be distinct.");
        foreach (var u in TargetUsers)
            if ((uint)u >= (uint)View.UserCount) throw new ArgumentException($"Target user index {u} is outside the view (0..{View.UserCount - 1}).");
    }

    public string? GetString(string name) => Parameters.TryGetValue(name, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public int GetInt(string name, int fallback)
    {
        var text = GetString(name);
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ArgumentException($"Parameter '{name}' must be an integer, got '{text}'.");
    }

    public long GetLong(string name, long fallback)
    {
        var text = GetString(name);
        if (text is null) return fallback;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ArgumentException($"Parameter '{name}' must be an integer, got '{text}'.");
    }

    public double GetDouble(string name, double fallback)
    {
        var text = GetString(name);
        if (text is null) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"Parameter '{name}' must be a number, got '{text}'.");
    }

    public bool GetBool(string name, bool fallback)
    {
        var text = GetString(name);
        if (text is null) return fallback;
        return text.ToLowerInvariant() switch
        {
            "true" or "1" or "yes" or "on" => true,
            "false" or "0" or "no" or "off" => false,
            _ => throw new ArgumentException($"Parameter '{name}' must be true or false, got '{text}'."),
        };
    }
}
