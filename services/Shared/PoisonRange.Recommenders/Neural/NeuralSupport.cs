using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// Sets libtorch's (process-wide) intra-op thread count for the duration of a fit and restores it,
/// as <see cref="Factorization.BprMf"/> does.
/// </summary>
internal readonly struct TorchThreads : IDisposable
{
    private readonly int _previous;

    public TorchThreads(int threads)
    {
        _previous = torch.get_num_threads();
        torch.set_num_threads(threads);
    }

    public void Dispose() => torch.set_num_threads(_previous);
}

/// <summary>Training-side helpers of the neural models: data views, sampling, seeded initialisation, export.</summary>
internal static class NeuralTraining
{
    /// <summary>Rejects datasets a model cannot train on.</summary>
    public static void CheckTrainable(InteractionDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ItemCount == 0 || train.UserCount == 0)
            throw new ArgumentException($"Cannot train on {train}: it needs at least one user and one item.", nameof(train));
    }

    /// <summary>Distinct items per user, sorted (the implicit-feedback view: repeats count once).</summary>
    public static int[][] DistinctPositives(InteractionDataset train)
    {
        var positives = new int[train.UserCount][];
        for (int u = 0; u < positives.Length; u++)
        {
            var distinct = train.Sequences[u].Distinct().ToArray();
            Array.Sort(distinct);
            positives[u] = distinct;
        }
        return positives;
    }

    /// <summary>(user, item) pairs of every user that has at least one negative item; throws past int.MaxValue pairs.</summary>
    public static (int[] Users, int[] Items) Pairs(int[][] positives, int items, InteractionDataset train)
    {
        long count = 0;
        foreach (var p in positives)
            if (p.Length < items) count += p.Length;
        if (count > int.MaxValue)
            throw new ArgumentException($"{train} has {count} distinct pairs; at most {int.MaxValue} are supported.", nameof(train));
        var users = new int[count];
        var pairItems = new int[count];
        int t = 0;
        for (int u = 0; u < positives.Length; u++)
        {
            if (positives[u].Length >= items) continue;
            foreach (var i in positives[u])
            {
                users[t] = u;
                pairItems[t] = i;
                t++;
            }
        }
        return (users, pairItems);
    }

    /// <summary>A uniform draw from the items not in <paramref name="positives"/> (sorted, fewer than <paramref name="items"/>).</summary>
    public static int SampleNegative(SeededRandom rng, int[] positives, int items)
    {
        // Rejection is fast for the usual sparse user; dense users fall back to an exact draw.
        for (int attempt = 0; attempt < 16; attempt++)
        {
            int candidate = rng.Next(items);
            if (Array.BinarySearch(positives, candidate) < 0) return candidate;
        }
        int j = rng.Next(items - positives.Length);
        foreach (var p in positives)
        {
            if (p <= j) j++;
            else break;
        }
        return j;
    }

    /// <summary>Training interactions per item as floats, the fallback ranking of an empty history.</summary>
    public static float[] Popularity(InteractionDataset train)
    {
        var counts = train.ItemPopularity();
        var popularity = new float[counts.Length];
        for (int i = 0; i < counts.Length; i++) popularity[i] = counts[i];
        return popularity;
    }

    /// <summary>Normal(0, std²) values.</summary>
    public static float[] Normal(SeededRandom rng, int count, double std)
    {
        var values = new float[count];
        for (int k = 0; k < count; k++) values[k] = (float)(rng.NextGaussian() * std);
        return values;
    }

    /// <summary>Uniform(−bound, bound) values.</summary>
    public static float[] Uniform(SeededRandom rng, int count, double bound)
    {
        var values = new float[count];
        for (int k = 0; k < count; k++) values[k] = (float)((2 * rng.NextDouble() - 1) * bound);
        return values;
    }

    /// <summary>Glorot (Xavier) uniform weights of a dense layer, out × in row-major.</summary>
    public static float[] GlorotUniform(SeededRandom rng, int outputs, int inputs)
        => Uniform(rng, checked(outputs * inputs), Math.Sqrt(6.0 / (inputs + outputs)));

    /// <summary>Copies row-major values into a parameter (under no_grad).</summary>
    public static void Assign(torch.Tensor parameter, float[] values)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (values.Length != parameter.numel())
            throw new ArgumentException($"{values.Length} values for a parameter of {parameter.numel()} elements.", nameof(values));
        parameter.copy_(tensor(values).reshape(parameter.shape));
    }

    /// <summary>A parameter's values as a row-major array.</summary>
    public static float[] Export(torch.Tensor parameter)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return parameter.detach().contiguous().data<float>().ToArray();
    }
}

/// <summary>A dense layer of a serving forward pass: y = W x + b with W out × in row-major, in plain arrays.</summary>
internal sealed class DenseLayer
{
    public DenseLayer(int inputs, int outputs, float[] weights, float[] bias)
    {
        if (weights.Length != (long)inputs * outputs) throw new ArgumentException("Weights do not match the layer's dimensions.", nameof(weights));
        if (bias.Length != outputs) throw new ArgumentException("Bias does not match the layer's dimensions.", nameof(bias));
        Inputs = inputs;
        Outputs = outputs;
        Weights = weights;
        Bias = bias;
    }

    public int Inputs { get; }
    public int Outputs { get; }
    public float[] Weights { get; }
    public float[] Bias { get; }

    /// <summary>y = W x + b (one SIMD dot product per output).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        var w = Weights.AsSpan();
        for (int o = 0; o < Outputs; o++)
            y[o] = TensorPrimitives.Dot(w.Slice(o * Inputs, Inputs), x) + Bias[o];
    }

    public void Write(BinaryWriter writer)
    {
        writer.Write(Inputs);
        writer.Write(Outputs);
        CheckpointFormat.WriteFloats(writer, Weights);
        CheckpointFormat.WriteFloats(writer, Bias);
    }

    public static DenseLayer Read(BinaryReader reader, int expectedInputs, int expectedOutputs, string name)
    {
        int inputs = CheckpointFormat.ReadDimension(reader, name + " inputs");
        int outputs = CheckpointFormat.ReadDimension(reader, name + " outputs");
        if (inputs != expectedInputs || outputs != expectedOutputs)
            throw new InvalidDataException($"Corrupt checkpoint: layer {name} is {inputs} → {outputs}, expected {expectedInputs} → {expectedOutputs}.");
        if ((long)inputs * outputs > int.MaxValue)
            throw new InvalidDataException($"Corrupt checkpoint: layer {name} is {inputs} → {outputs}.");
        var weights = CheckpointFormat.ReadFloats(reader, inputs * outputs);
        var bias = CheckpointFormat.ReadFloats(reader, outputs);
        return new DenseLayer(inputs, outputs, weights, bias);
    }
}

/// <summary>Argument checks and small numeric kernels shared by the serving models.</summary>
internal static class Serving
{
    public static void CheckScores(int items, Span<float> scores)
    {
        if (scores.Length != items)
            throw new ArgumentException($"The score buffer has {scores.Length} entries; the model scores {items} items.", nameof(scores));
    }

    public static void CheckUser(int users, int user)
    {
        if ((uint)user >= (uint)users)
            throw new ArgumentOutOfRangeException(nameof(user), user, $"User {user} is outside 0..{users - 1}.");
    }

    public static void CheckHistory(int items, ReadOnlySpan<int> history)
    {
        foreach (var item in history)
            if ((uint)item >= (uint)items)
                throw new ArgumentOutOfRangeException(nameof(history), item, $"History item {item} is outside 0..{items - 1}.");
    }

    /// <summary>
    /// Copies the distinct items of <paramref name="history"/>, sorted, into a rented array; returns
    /// the array (return it to <see cref="ArrayPool{T}.Shared"/>) and the number of distinct items.
    /// </summary>
    public static int[] RentDistinct(ReadOnlySpan<int> history, out int count)
    {
        var rented = ArrayPool<int>.Shared.Rent(Math.Max(1, history.Length));
        history.CopyTo(rented);
        var items = rented.AsSpan(0, history.Length);
        items.Sort();
        int h = 0;
        for (int t = 0; t < items.Length; t++)
            if (t == 0 || items[t] != items[t - 1]) items[h++] = items[t];
        count = h;
        return rented;
    }

    /// <summary>Transposes a rows × columns row-major matrix into columns × rows.</summary>
    public static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[(long)c * rows + r] = matrix[(long)r * columns + c];
        return result;
    }

    /// <summary>In place: factors the SPD matrix a (n × n row-major) as L·Lᵀ and overwrites b with the solution of a x = b.</summary>
    public static bool CholeskySolve(Span<double> a, Span<double> b, int n)
    {
        if (!CholeskyFactor(a, n)) return false;
        CholeskySubstitute(a, b, n);
        return true;
    }

    /// <summary>In place: overwrites the lower triangle of the SPD matrix a (n × n row-major, only the lower triangle is read) with L, a = L·Lᵀ.</summary>
    public static bool CholeskyFactor(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            double pivot = rowJ[j] - TensorPrimitives.Dot<double>(rowJ[..j], rowJ[..j]);
            if (!(pivot > 0)) return false;
            double diagonal = Math.Sqrt(pivot);
            rowJ[j] = diagonal;
            double inverse = 1.0 / diagonal;
            for (int i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                rowI[j] = (rowI[j] - TensorPrimitives.Dot<double>(rowI[..j], rowJ[..j])) * inverse;
            }
        }
        return true;
    }

    /// <summary>Overwrites b with the solution of L·Lᵀ x = b, L from <see cref="CholeskyFactor"/>.</summary>
    public static void CholeskySubstitute(ReadOnlySpan<double> factor, Span<double> b, int n)
    {
        for (int i = 0; i < n; i++)
        {
            var rowI = factor.Slice(i * n, n);
            b[i] = (b[i] - TensorPrimitives.Dot<double>(rowI[..i], b[..i])) / rowI[i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = b[i];
            for (int k = i + 1; k < n; k++) sum -= factor[k * n + i] * b[k];
            b[i] = sum / factor[i * n + i];
        }
    }
}
