using System.Buffers;
using System.Numerics.Tensors;

namespace PoisonRange.Recommenders.Sequential;

/// <summary>
/// The immutable serving form of GRU4Rec: the GRU recurrence and the output layer over plain
/// arrays with System.Numerics.Tensors, no TorchSharp. An item's input projection is one row of a
/// precomputed table (its embedding through the GRU's input weights), so a step costs the 3H × H
/// recurrent product plus element-wise gates, and a ranking one H × items product over a
/// factor-major copy of the output embeddings. Thread-safe; buffers come from the stack or the
/// shared array pool.
/// </summary>
/// <remarks>
/// The recurrence is libtorch's GRU (gates in r, z, n order):
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)
/// z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// </code>
/// starting from h = 0 at the first of the last <see cref="MaxLength"/> items of a history.
/// </remarks>
internal sealed class GruServingModel
{
    public GruServingModel(int users, int items, int hidden, int maxLength, float[] inputTable, float[] recurrentWeights, float[] recurrentBias,
        float[] outputWeights, float[] outputBias, float[] popularity, float[]? userStates = null, int[]? userLengths = null)
    {
        if (inputTable.Length != (long)items * 3 * hidden) throw new ArgumentException("The input table does not match the dimensions.", nameof(inputTable));
        if (recurrentWeights.Length != 3 * hidden * hidden) throw new ArgumentException("The recurrent weights do not match the dimensions.", nameof(recurrentWeights));
        if (recurrentBias.Length != 3 * hidden) throw new ArgumentException("The recurrent bias does not match the dimensions.", nameof(recurrentBias));
        if (outputWeights.Length != (long)items * hidden) throw new ArgumentException("The output weights do not match the dimensions.", nameof(outputWeights));
        if (outputBias.Length != items) throw new ArgumentException("The output bias does not match the dimensions.", nameof(outputBias));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));
        if (userStates is not null && userStates.Length != (long)users * hidden) throw new ArgumentException("User states do not match the dimensions.", nameof(userStates));
        if (userLengths is not null && userLengths.Length != users) throw new ArgumentException("User lengths do not match the users.", nameof(userLengths));

        Users = users;
        Items = items;
        Hidden = hidden;
        MaxLength = maxLength;
        InputTable = inputTable;
        RecurrentWeights = recurrentWeights;
        RecurrentBias = recurrentBias;
        OutputWeights = outputWeights;
        OutputBias = outputBias;
        Popularity = popularity;
        UserStates = userStates ?? new float[(long)users * hidden];
        UserLengths = userLengths ?? new int[users];

        _recurrentByColumn = new float[recurrentWeights.Length];
        for (int row = 0; row < 3 * hidden; row++)
            for (int k = 0; k < hidden; k++)
                _recurrentByColumn[k * 3 * hidden + row] = recurrentWeights[row * hidden + k];

        _outputByFactor = new float[outputWeights.Length];
        for (int j = 0; j < items; j++)
            for (int k = 0; k < hidden; k++)
                _outputByFactor[(long)k * items + j] = outputWeights[(long)j * hidden + k];
    }

    public int Users { get; }
    public int Items { get; }
    public int Hidden { get; }
    public int MaxLength { get; }

    /// <summary>items × 3H: W_i· e_j + b_i· per item.</summary>
    public float[] InputTable { get; }

    /// <summary>3H × H, row-major (W_hr; W_hz; W_hn).</summary>
    public float[] RecurrentWeights { get; }

    /// <summary>3H (b_hr; b_hz; b_hn).</summary>
    public float[] RecurrentBias { get; }

    /// <summary>items × H, row-major.</summary>
    public float[] OutputWeights { get; }

    public float[] OutputBias { get; }

    /// <summary>Training interactions per item, the fallback ranking.</summary>
    public float[] Popularity { get; }

    /// <summary>users × H: the hidden state after each known user's training sequence.</summary>
    public float[] UserStates { get; }

    /// <summary>Per user, how many items the cached state has read (0: none, score by popularity).</summary>
    public int[] UserLengths { get; }

    private readonly float[] _outputByFactor;

    /// <summary>H × 3H: column k of the recurrent weights is row k here.</summary>
    private readonly float[] _recurrentByColumn;

    /// <summary>Computes and caches the states of the known users from their training sequences, in parallel.</summary>
    public void CacheUserStates(int[][] sequences, int threads)
    {
        if (sequences.Length != Users) throw new ArgumentException("One sequence per user is needed.", nameof(sequences));
        Parallel.For(0, Users, new ParallelOptions { MaxDegreeOfParallelism = threads }, u =>
        {
            UserLengths[u] = Encode(sequences[u], UserStates.AsSpan(u * Hidden, Hidden));
        });
    }

    public void ScoreUser(int user, Span<float> scores)
    {
        SequentialCheckpoint.CheckUser(user, Users);
        SequentialCheckpoint.CheckScores(scores, Items);
        if (UserLengths[user] == 0)
            Popularity.CopyTo(scores);
        else
            ScoreState(UserStates.AsSpan(user * Hidden, Hidden), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        SequentialCheckpoint.CheckScores(scores, Items);
        SequentialCheckpoint.CheckHistory(history, Items);
        if (history.IsEmpty)
        {
            Popularity.CopyTo(scores);
            return;
        }
        float[]? rented = null;
        Span<float> state = Hidden <= 1024 ? stackalloc float[Hidden] : (rented = ArrayPool<float>.Shared.Rent(Hidden)).AsSpan(0, Hidden);
        try
        {
            Encode(history, state);
            ScoreState(state, scores);
        }
        finally
        {
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>scores = b + W_out h.</summary>
    public void ScoreState(ReadOnlySpan<float> state, Span<float> scores)
    {
        int items = Items;
        OutputBias.CopyTo(scores);
        var byFactor = _outputByFactor.AsSpan();
        for (int k = 0; k < state.Length; k++)
            TensorPrimitives.MultiplyAdd(byFactor.Slice(k * items, items), state[k], scores, scores);
    }

    /// <summary>Runs the GRU from h = 0 over the last <see cref="MaxLength"/> items of <paramref name="history"/>; returns how many it read.</summary>
    public int Encode(ReadOnlySpan<int> history, Span<float> state)
    {
        int h = Hidden;
        if (history.Length > MaxLength) history = history[^MaxLength..];
        state.Clear();
        float[] buffer = ArrayPool<float>.Shared.Rent(5 * h);
        try
        {
            var recurrent = buffer.AsSpan(0, 3 * h);
            var r = buffer.AsSpan(3 * h, h);
            var z = buffer.AsSpan(4 * h, h);
            var byColumn = _recurrentByColumn.AsSpan();
            foreach (var item in history)
            {
                var input = InputTable.AsSpan(item * 3 * h, 3 * h);
                // W_h· h + b_h·, as H multiply-adds of contiguous columns
                RecurrentBias.CopyTo(recurrent);
                for (int k = 0; k < h; k++)
                    TensorPrimitives.MultiplyAdd(byColumn.Slice(k * 3 * h, 3 * h), state[k], recurrent, recurrent);
                TensorPrimitives.Add(input[..h], recurrent[..h], r);
                TensorPrimitives.Sigmoid<float>(r, r);
                TensorPrimitives.Add(input.Slice(h, h), recurrent.Slice(h, h), z);
                TensorPrimitives.Sigmoid<float>(z, z);
                // n = tanh(i_n + r ⊙ h_n), written over r
                var n = r;
                TensorPrimitives.MultiplyAdd(r, recurrent.Slice(2 * h, h), input.Slice(2 * h, h), n);
                TensorPrimitives.Tanh<float>(n, n);
                // h' = n + z ⊙ (h − n)
                TensorPrimitives.Subtract(state, n, state);
                TensorPrimitives.MultiplyAdd(z, state, n, state);
            }
            return history.Length;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
