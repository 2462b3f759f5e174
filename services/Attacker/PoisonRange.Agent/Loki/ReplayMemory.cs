using PoisonRange.Data;

namespace PoisonRange.Agent.Loki;

/// <summary>
/// One step of an episode: the state (groups chosen before), the action, the raw reward, whether
/// the episode ended, and the actions valid in the next state (the next state is the state
/// followed by the action).
/// </summary>
public sealed record Transition(int[] State, int Action, double Reward, bool Done, bool[] NextValid);

/// <summary>
/// LOKI's replay memory with balanced sampling (§3.4.3): transitions with a positive reward and
/// the others are kept in two rings of half the capacity each, and a batch takes
/// <see cref="PositiveFraction"/> of its transitions from the positive ring (while it holds
/// any), so the rare positive samples of early training are neither drowned nor evicted by
/// the many others.
/// </summary>
public sealed class ReplayMemory
{
    private readonly Ring _positive;
    private readonly Ring _other;

    public ReplayMemory(int capacity, double positiveFraction)
    {
        if (capacity < 2) throw new ArgumentException($"replay size must be at least 2, got {capacity}.");
        if (!(positiveFraction is >= 0 and <= 1)) throw new ArgumentException($"positive fraction must be in [0, 1], got {positiveFraction}.");
        _positive = new Ring(capacity / 2);
        _other = new Ring(capacity - capacity / 2);
        PositiveFraction = positiveFraction;
    }

    public double PositiveFraction { get; }

    public int Count => _positive.Count + _other.Count;

    public int PositiveCount => _positive.Count;

    public void Add(Transition transition)
    {
        ArgumentNullException.ThrowIfNull(transition);
        (transition.Reward > 0 ? _positive : _other).Add(transition);
    }

    /// <summary><paramref name="size"/> transitions drawn with replacement, balanced as described above.</summary>
    public List<Transition> Sample(int size, SeededRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (Count == 0) throw new InvalidOperationException("The replay memory is empty.");
        int positives = _positive.Count == 0 ? 0 : _other.Count == 0 ? size : (int)Math.Round(size * PositiveFraction);
        var batch = new List<Transition>(size);
        for (int k = 0; k < size; k++)
        {
            var ring = k < positives ? _positive : _other;
            batch.Add(ring[rng.Next(ring.Count)]);
        }
        return batch;
    }

    private sealed class Ring(int capacity)
    {
        private readonly Transition[] _items = new Transition[Math.Max(1, capacity)];
        private int _next;

        public int Count { get; private set; }

        public Transition this[int index] => _items[index];

        public void Add(Transition transition)
        {
            _items[_next] = transition;
            _next = (_next + 1) % _items.Length;
            Count = Math.Min(Count + 1, _items.Length);
        }
    }
}
