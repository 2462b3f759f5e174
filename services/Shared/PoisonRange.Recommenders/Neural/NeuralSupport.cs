using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Data;
using PoisonRange.Recommenders.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Neural;

/// <summary>Training-side helpers of the neural models: seeded uniform initialisation, parameter copies in and out.</summary>
internal static class NeuralTraining
{
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

    /// <summary>Transposes a rows × columns row-major matrix into columns × rows.</summary>
    public static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[(long)c * rows + r] = matrix[(long)r * columns + c];
        return result;
    }
}
