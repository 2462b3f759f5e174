using PoisonRange.Data;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// LOKI's MDP (§3.4.1) over coarse actions: an action picks an item group, the environment
/// samples one item of that group that the profile does not hold yet, and the state is the
/// group-level action sequence so far. A group whose items are all in the profile is masked.
/// An episode (one fake profile) ends after M actions, or earlier when every group is exhausted.
/// Rewards are not computed here: the trainer scores finished profiles in batches (see
/// <see cref="IProfileReward"/>).
/// </summary>
public sealed class LokiEnvironment
{
    public LokiEnvironment(ItemGroups groups, int actionsPerProfile)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (actionsPerProfile < 1) throw new ArgumentException($"actions per profile (M) must be at least 1, got {actionsPerProfile}.");
        Groups = groups;
        MaxActions = actionsPerProfile;
    }

    public ItemGroups Groups { get; }

    /// <summary>Number of actions (groups).</summary>
    public int ActionCount => Groups.Count;

    /// <summary>M: most actions per profile.</summary>
    public int MaxActions { get; }

    /// <summary>A new empty profile whose item draws come from <paramref name="rng"/>.</summary>
    public LokiEpisode Start(SeededRandom rng) => new(this, rng);
}

/// <summary>One episode of <see cref="LokiEnvironment"/>: a fake profile under construction.</summary>
public sealed class LokiEpisode
{
    private readonly LokiEnvironment _environment;
    private readonly SeededRandom _rng;
    private readonly List<int> _actions = [];
    private readonly List<int> _items = [];
    private readonly HashSet<int> _taken = [];
    private readonly int[] _usedPerGroup;

    internal LokiEpisode(LokiEnvironment environment, SeededRandom rng)
    {
        _environment = environment;
        _rng = rng ?? throw new ArgumentNullException(nameof(rng));
        _usedPerGroup = new int[environment.ActionCount];
    }

    /// <summary>The state: groups chosen so far, in order.</summary>
    public IReadOnlyList<int> Actions => _actions;

    /// <summary>The profile: items drawn so far, in order (distinct).</summary>
    public IReadOnlyList<int> Items => _items;

    public bool IsDone => _actions.Count >= _environment.MaxActions || !AnyValid();

    /// <summary>Whether <paramref name="action"/> may be taken now (its group still has unused items).</summary>
    public bool IsValid(int action)
        => (uint)action < (uint)_environment.ActionCount && _usedPerGroup[action] < _environment.Groups.MembersArray(action).Length;

    /// <summary>The mask of valid actions in the current state.</summary>
    public bool[] ValidActions()
    {
        var mask = new bool[_environment.ActionCount];
        for (int a = 0; a < mask.Length; a++) mask[a] = IsValid(a);
        return mask;
    }

    /// <summary>Takes <paramref name="action"/>: draws an unused item of that group and returns it.</summary>
    /// <exception cref="InvalidOperationException">The episode is over or the action is masked.</exception>
    public int Step(int action)
    {
        if (IsDone) throw new InvalidOperationException($"The profile is complete ({_actions.Count} actions); start a new episode.");
        if (!IsValid(action)) throw new InvalidOperationException($"Action {action} is not available: the group is exhausted or does not exist.");
        var members = _environment.Groups.MembersArray(action);
        int item;
        int free = members.Length - _usedPerGroup[action];
        if (_usedPerGroup[action] * 4 < members.Length)
        {
            // Mostly free: rejection sampling.
            do item = members[_rng.Next(members.Length)]; while (_taken.Contains(item));
        }
        else
        {
            int skip = _rng.Next(free);
            item = -1;
            foreach (var candidate in members)
                if (!_taken.Contains(candidate) && skip-- == 0)
                {
                    item = candidate;
                    break;
                }
        }
        _taken.Add(item);
        _usedPerGroup[action]++;
        _actions.Add(action);
        _items.Add(item);
        return item;
    }

    private bool AnyValid()
    {
        for (int a = 0; a < _environment.ActionCount; a++)
            if (IsValid(a)) return true;
        return false;
    }
}
