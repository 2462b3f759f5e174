using System.Globalization;
using Grpc.Core;
using PoisonRange.Client.Profiles;
using PoisonRange.Contracts.Attacker.V1;
using Progress = PoisonRange.Contracts.Common.V1.Progress;
using PoisonRange.Range.Experiments;
using PoisonRange.Range.Scenarios;

namespace PoisonRange.Range.Exercise;

/// <summary>The exercise's calls to the attacker services: the agent's Generate and the injector's Inject, with their streamed progress.</summary>
public sealed partial class ExerciseRunner
{
    private async Task<GenerateResult> GenerateAsync(string scope, string strategy, ulong seed, IReadOnlyList<string> items, IReadOnlyList<string> users, int fakeUsers, CancellationToken ct)
    {
        var request = new GenerateRequest
        {
            Strategy = strategy,
            FakeUsers = fakeUsers,
            ActionsPerUser = _scenario.Budget.ActionsPerUser,
            Seed = seed,
        };
        request.TargetItems.AddRange(items);
        request.TargetUsers.AddRange(users);
        foreach (var (k, v) in GenerateParameters(strategy)) request.Parameters[k] = v;

        var agent = _services.Agent!;
        return await StreamAsync("agent", "Generate", scope, "generate",
            () => agent.Generate(request, RangeServices.Call(_services.LongCall, ct)),
            u => u.UpdateCase == GenerateUpdate.UpdateOneofCase.Progress ? u.Progress : null,
            u => u.UpdateCase == GenerateUpdate.UpdateOneofCase.Result ? u.Result : null,
            $"the agent ended Generate for '{strategy}' without a result", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The strategy's parameters as sent to the agent. Every attack runs on a freshly configured
    /// platform, so the agent crawls its view again (and the crawl counts against this attack)
    /// unless the scenario's attackParameters say otherwise.
    /// </summary>
    private Dictionary<string, string> GenerateParameters(string strategy)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["refresh_view"] = "true" };
        if (StrategyKey(strategy) == LokiProtocol.StrategyName)
            parameters[LokiProtocol.LocalModelsParameter] = string.Join(",", LokiProtocol.LeaveOneOutModels(_scenario.Victim.Kind));
        if (_scenario.AttackParameters.TryGetValue(strategy, out var given))
            foreach (var (k, v) in given) parameters[k] = v;
        return parameters;
    }

    private async Task<InjectResult> InjectAsync(string scope, AttackSpec attack, ulong seed, IReadOnlyList<FakeProfile> profiles, CancellationToken ct)
    {
        var request = new InjectRequest
        {
            JobId = $"{_settings.RunId}-{attack.Label}-seed{seed.ToString(CultureInfo.InvariantCulture)}",
            BatchSize = _scenario.Injection.BatchSize > 0 ? _scenario.Injection.BatchSize : _scenario.Budget.ActionsPerUser,
        };
        request.Profiles.AddRange(profiles);
        var injector = _services.Injector!;
        return await StreamAsync("injector", "Inject", scope, "inject",
            () => injector.Inject(request, RangeServices.Call(_services.LongCall, ct)),
            u => u.UpdateCase == InjectUpdate.UpdateOneofCase.Progress ? u.Progress : null,
            u => u.UpdateCase == InjectUpdate.UpdateOneofCase.Result ? u.Result : null,
            $"the injector ended job {request.JobId} without a result", ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A server-streaming call of the shape <c>stream { oneof { Progress progress; Result result; } }</c>:
    /// progress goes to the observer as the phase's progress, the last result is returned.
    /// </summary>
    private async Task<TResult> StreamAsync<TUpdate, TResult>(
        string service, string method, string scope, string phase,
        Func<AsyncServerStreamingCall<TUpdate>> start, Func<TUpdate, Progress?> progressOf, Func<TUpdate, TResult?> resultOf,
        string noResult, CancellationToken ct)
        where TResult : class
    {
        return await _services.CallAsync(service, method, async () =>
        {
            using var call = start();
            TResult? result = null;
            await foreach (var update in call.ResponseStream.ReadAllAsync(ct).ConfigureAwait(false))
            {
                if (progressOf(update) is { } p)
                    _observer.PhaseProgress(scope, phase, p.Done, p.Total, Describe(p));
                else if (resultOf(update) is { } r)
                    result = r;
            }
            return result ?? throw new RangeException(noResult);
        }, ct).ConfigureAwait(false);
    }

    private static string? Describe(Progress p) =>
        string.IsNullOrEmpty(p.Message) ? (string.IsNullOrEmpty(p.Phase) ? null : p.Phase) : string.IsNullOrEmpty(p.Phase) ? p.Message : $"{p.Phase}: {p.Message}";
}
