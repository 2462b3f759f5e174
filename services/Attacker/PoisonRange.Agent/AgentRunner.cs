using System.Globalization;
using PoisonRange.Client;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Contracts.Platform.V1;

namespace PoisonRange.Agent;

/// <summary>
/// One generation: crawl (or reuse) the attacker's view, map the request's external ids to
/// dense indices, run the strategy, check its output, and map the profiles back to platform ids.
/// Request parameters used here (the rest go to the strategy): <c>refresh_view</c> (crawl again),
/// <c>start_timestamp_ms</c> (time of the first fake action).
/// </summary>
public sealed class AgentRunner(StrategyRegistry registry, AttackerViewProvider views, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    public StrategyRegistry Strategies => registry;

    public AttackerViewProvider Views => views;

    public async Task<GenerateResult> GenerateAsync(GenerateRequest request, IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetTimestamp();
        var strategy = registry.Get(request.Strategy);
        if (request.FakeUsers < 0) throw new ArgumentException($"fake_users must not be negative, got {request.FakeUsers}.");
        if (request.ActionsPerUser < 1) throw new ArgumentException($"actions_per_user must be at least 1, got {request.ActionsPerUser}.");

        var before = views.Client.Counters.Snapshot();
        var parameters = new Dictionary<string, string>(request.Parameters, StringComparer.Ordinal);
        bool refresh = ParseBool(parameters, "refresh_view");
        var view = await views.GetAsync(refresh, progress, cancellationToken).ConfigureAwait(false);
        var dataset = view.Dataset;

        var targetItems = new List<int>();
        foreach (var id in request.TargetItems.Distinct(StringComparer.Ordinal))
        {
            if (!dataset.TryGetItem(id, out var index))
                throw new ArgumentException($"Target item '{id}' is not in the platform's catalogue.");
            targetItems.Add(index);
        }
        var targetUsers = new List<int>();
        var unseen = new List<string>();
        foreach (var id in request.TargetUsers.Distinct(StringComparer.Ordinal))
        {
            if (dataset.TryGetUser(id, out var index)) targetUsers.Add(index);
            else unseen.Add(id);
        }
        if (unseen.Count > 0)
            progress?.Report(new AttackProgress("targets", targetUsers.Count, request.TargetUsers.Count,
                $"{unseen.Count} target user(s) have no public history in the view and are left out (first: {unseen[0]})"));

        long? start = parameters.TryGetValue("start_timestamp_ms", out var s) && !string.IsNullOrWhiteSpace(s)
            ? long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) ? ms : throw new ArgumentException($"Parameter 'start_timestamp_ms' must be an integer, got '{s}'.")
            : null;

        var context = new AttackContext
        {
            View = dataset,
            TargetItems = targetItems,
            TargetUsers = targetUsers,
            FakeUsers = request.FakeUsers,
            ActionsPerUser = request.ActionsPerUser,
            Seed = request.Seed,
            Parameters = parameters,
            StartTimestampMs = start,
            Progress = progress,
        };
        progress?.Report(new AttackProgress("generate", 0, request.FakeUsers, $"{strategy.Name}: generating"));
        var specs = await strategy.GenerateAsync(context, cancellationToken).ConfigureAwait(false);
        ProfileValidator.Check(strategy.Name, context, specs);

        var result = new GenerateResult { Strategy = strategy.Name };
        result.Profiles.AddRange(ToProfiles(dataset, specs));
        var delta = views.Client.Counters.Snapshot() - before;
        result.PlatformQueries = delta.Queries + context.Notes.DelegatedQueries;
        result.CrawlPages = (int)(delta.CrawlPages + context.Notes.DelegatedCrawlPages);
        result.Seconds = _time.GetElapsedTime(started).TotalSeconds;
        result.Notes.AddRange(context.Notes.Remarks);
        foreach (var (phase, seconds) in context.Notes.PhaseSeconds)
            result.Phases.Add(new PhaseSeconds { Phase = phase, Seconds = seconds });
        progress?.Report(new AttackProgress("generate", specs.Count, request.FakeUsers, $"{strategy.Name}: {specs.Count} profiles"));
        return result;
    }

    /// <summary>Maps dense-index profiles back to the platform's item ids.</summary>
    public static IEnumerable<FakeProfile> ToProfiles(PoisonRange.Data.InteractionDataset view, IEnumerable<FakeProfileSpec> specs)
    {
        foreach (var spec in specs)
        {
            var profile = new FakeProfile { ProfileId = spec.ProfileId };
            foreach (var a in spec.Actions)
            {
                var x = new Interaction { ItemId = view.ItemIds[a.Item], TimestampMs = a.TimestampMs };
                if (a.Rating is { } r) x.Rating = r;
                profile.Interactions.Add(x);
            }
            yield return profile;
        }
    }

    /// <summary>Header for a profiles file written from this request's result.</summary>
    public static FakeProfileMetadata MetadataFor(GenerateRequest request, DateTimeOffset createdUtc) => new()
    {
        Strategy = request.Strategy,
        TargetItems = request.TargetItems.ToArray(),
        TargetUsers = request.TargetUsers.ToArray(),
        Seed = request.Seed,
        CreatedUtc = createdUtc,
        ActionsPerUser = request.ActionsPerUser,
        Parameters = new Dictionary<string, string>(request.Parameters, StringComparer.Ordinal),
    };

    private static bool ParseBool(IReadOnlyDictionary<string, string> parameters, string name)
    {
        if (!parameters.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text)) return false;
        return text.Trim().ToLowerInvariant() switch
        {
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            _ => throw new ArgumentException($"Parameter '{name}' must be true or false, got '{text}'."),
        };
    }
}
