using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Range.Reports;

namespace PoisonRange.Range.Exercise;

/// <summary>The exercise's Referee calls: the platform scenario of a seed, configure, retrain, evaluate and the ground truth of attacker accounts.</summary>
public sealed partial class ExerciseRunner
{
    /// <summary>The Referee's scenario for one seed: the same for the baseline and every attack.</summary>
    public Scenario BuildPlatformScenario(ulong seed)
    {
        var s = _scenario;
        var scenario = new Scenario
        {
            Name = s.Name,
            Seed = seed,
            Dataset = new DatasetSpec
            {
                Source = _settings.DatasetSource,
                Format = s.Dataset.Format,
                MinInteractions = s.Dataset.MinInteractions,
                LeaveLastTwoOut = s.Dataset.LeaveLastTwoOut,
                Synthetic = new SyntheticSpec
                {
                    Users = s.Dataset.Synthetic.Users,
                    Items = s.Dataset.Synthetic.Items,
                    Rank = s.Dataset.Synthetic.Rank,
                    MeanLength = s.Dataset.Synthetic.MeanLength,
                },
            },
            Victim = new VictimSpec { Kind = s.Victim.Kind },
            Retrain = new RetrainPolicy
            {
                IntervalMs = s.Platform.Retrain.IntervalMs,
                EveryNewInteractions = s.Platform.Retrain.EveryNewInteractions,
                Jitter = s.Platform.Retrain.Jitter,
            },
            Limits = new Limits
            {
                AccountsPerKey = s.Platform.Limits.AccountsPerKey,
                RegistrationsPerWindow = s.Platform.Limits.RegistrationsPerWindow,
                RegistrationWindowMs = s.Platform.Limits.RegistrationWindowMs,
                ActionsPerAccount = ActionsPerAccount(),
                QueriesPerAccountPerWindow = s.Platform.Limits.QueriesPerAccountPerWindow,
                QueryWindowMs = s.Platform.Limits.QueryWindowMs,
                QueryBudgetPerKey = s.Platform.Limits.QueryBudgetPerKey,
                CrawlPagesPerKey = s.Platform.Limits.CrawlPagesPerKey,
                MaxPageSize = s.Platform.Limits.MaxPageSize,
                KMax = s.Platform.Limits.KMax,
                MinRating = s.Platform.Limits.MinRating,
                MaxRating = s.Platform.Limits.MaxRating,
            },
            Knowledge = new KnowledgePolicy
            {
                InteractionFraction = s.Platform.Knowledge.InteractionFraction,
                UserFraction = s.Platform.Knowledge.UserFraction,
            },
        };
        foreach (var (k, v) in s.Victim.HyperParameters) scenario.Victim.HyperParameters[k] = v;
        scenario.AttackerKeys.Add(_services.Endpoints.AttackerKey);
        if (_services.Endpoints.ObserverKey != _services.Endpoints.AttackerKey)
            scenario.AttackerKeys.Add(_services.Endpoints.ObserverKey);
        return scenario;
    }

    private Task<ConfigureReply> ConfigureAsync(ulong seed, CancellationToken ct) =>
        _services.CallAsync("referee", "Configure",
            () => _services.Referee.ConfigureAsync(BuildPlatformScenario(seed), _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);

    private Task<RetrainReply> RetrainAsync(CancellationToken ct) =>
        _services.CallAsync("referee", "Retrain",
            () => _services.Referee.RetrainAsync(new RetrainRequest(), _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);

    private async Task<Evaluation> EvaluateAsync(IReadOnlyList<string> items, IReadOnlyList<string> users, CancellationToken ct)
    {
        Task<EvaluateReply> EvaluateAtAsync(int k)
        {
            var request = new EvaluateRequest { K = k };
            request.TargetItems.AddRange(items);
            request.TargetUsers.AddRange(users);
            return _services.CallAsync("referee", "Evaluate",
                () => _services.Referee.EvaluateAsync(request, _services.OperatorCall(_services.LongCall, ct)).ResponseAsync, ct);
        }

        var reply = await EvaluateAtAsync(_scenario.K).ConfigureAwait(false);
        if (reply.ExcludedItems.Count > 0) Warn($"target item(s) {string.Join(", ", reply.ExcludedItems)} left out of HR_t@{_scenario.K}: every normal user has interacted with them");
        var alsoK = new List<KEvaluation>();
        foreach (var k in _scenario.AlsoK)
        {
            // The same serving model: nothing is recorded or retrained between these calls.
            var r = await EvaluateAtAsync(k).ConfigureAwait(false);
            if (r.ModelVersion != reply.ModelVersion)
                Warn($"the platform's model changed from {reply.ModelVersion} to {r.ModelVersion} between its evaluations at K = {_scenario.K} and K = {k} (a scheduled retrain): the K = {k} figures are of the newer model");
            alsoK.Add(new KEvaluation(k, r.DisplayRate, r.MeanItemHitRatio));
        }
        return new Evaluation
        {
            DisplayRate = reply.DisplayRate,
            MeanItemHitRatio = reply.MeanItemHitRatio,
            ModelVersion = reply.ModelVersion,
            TargetUsersEvaluated = reply.TargetUsersEvaluated,
            NormalUsers = reply.NormalUsers,
            Items = reply.Items.Select(i => new ItemHit(i.ItemId, i.HitRatio, i.Population)).ToList(),
            AlsoK = alsoK,
        };
    }

    private async Task<(int Accounts, long Actions, int Flagged)> GroundTruthAsync(CancellationToken ct)
    {
        var reply = await _services.CallAsync("referee", "ListAccounts",
            () => _services.Referee.ListAccountsAsync(new ListAccountsRequest { OwnerKey = _services.Endpoints.AttackerKey },
                _services.OperatorCall(RangeServices.ShortCall, ct)).ResponseAsync, ct).ConfigureAwait(false);
        var mine = reply.Accounts.Where(a => a.OwnerKey == _services.Endpoints.AttackerKey).ToList();
        return (mine.Count, mine.Sum(a => (long)a.Actions), mine.Count(a => a.Flagged));
    }
}
