using System.Diagnostics;
using PoisonRange.Contracts.Attacker.V1;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// The LOKI reward through the estimator service: each batch of candidate profiles (items as
/// indices of the agent's view) is mapped to the simulator's training-set indices and scored in
/// as few <c>ScoreProfiles</c> calls as the batch allows (<see cref="MaxProfilesPerCall"/> each),
/// so the DQN's reward loop pays one round trip per batch, not per profile. Items the simulator's
/// training set lacks are left out of the profile (they move no local model). Counts the calls
/// and the seconds spent in them.
/// </summary>
public sealed class EstimatorProfileReward(LokiServices services, int[] viewToTraining) : IProfileReward
{
    /// <summary>Profiles per call: well under the estimator's default limit (100 000) and message size.</summary>
    public const int MaxProfilesPerCall = 8192;

    private readonly LokiServices _services = services ?? throw new ArgumentNullException(nameof(services));
    private readonly int[] _viewToTraining = viewToTraining ?? throw new ArgumentNullException(nameof(viewToTraining));
    private long _calls;
    private long _profiles;
    private long _ticks;

    /// <summary>ScoreProfiles calls made so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Profiles scored so far.</summary>
    public long Profiles => Interlocked.Read(ref _profiles);

    /// <summary>Wall-clock seconds spent in ScoreProfiles calls (mapping included).</summary>
    public double Seconds => TimeSpan.FromTicks(Interlocked.Read(ref _ticks)).TotalSeconds;

    public async Task<double[]> ScoreProfilesAsync(IReadOnlyList<int[]> profiles, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var started = Stopwatch.GetTimestamp();
        var scores = new double[profiles.Count];
        var client = _services.EstimatorClient;
        for (int start = 0; start < profiles.Count; start += MaxProfilesPerCall)
        {
            int end = Math.Min(profiles.Count, start + MaxProfilesPerCall);
            var request = new ScoreProfilesRequest();
            for (int p = start; p < end; p++) request.Profiles.Add(Map(profiles[p]));
            var reply = await LokiServices.CallAsync(AttackerServiceOptions.EstimatorSection, _services.Estimator,
                async () => await client.ScoreProfilesAsync(request, deadline: LokiServices.CallDeadline(_services.Estimator), cancellationToken: cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (reply.Scores.Count != end - start)
                throw new AttackerServiceException(Grpc.Core.StatusCode.Internal,
                    $"The estimator at {_services.Estimator.Address} returned {reply.Scores.Count} scores for {end - start} profiles.");
            reply.Scores.CopyTo(scores, start);
            Interlocked.Increment(ref _calls);
        }
        Interlocked.Add(ref _profiles, profiles.Count);
        Interlocked.Add(ref _ticks, Stopwatch.GetElapsedTime(started).Ticks);
        return scores;
    }

    private Profile Map(int[] profile)
    {
        var mapped = new Profile();
        foreach (var item in profile)
        {
            if ((uint)item >= (uint)_viewToTraining.Length)
                throw new ArgumentOutOfRangeException(nameof(profile), $"Profile item {item} is outside the view's {_viewToTraining.Length} items.");
            if (_viewToTraining[item] >= 0) mapped.Items.Add(_viewToTraining[item]);
        }
        return mapped;
    }
}
