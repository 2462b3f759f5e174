using System.Buffers;
using System.Numerics.Tensors;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The immutable serving form of <see cref="MultVae"/>: the encoder's mean path and the decoder
/// over plain arrays with TensorPrimitives, no TorchSharp, safe from any number of threads.
/// </summary>
/// <remarks>
/// A request is one forward pass: the first encoder layer over a 0/1 input is a sum of the
/// history's columns (kept item-major, so each is contiguous), O(|H|·hidden); then μ = W₂ tanh(·)
/// (latent × hidden), the decoder's hidden layer (hidden × latent) and one dot product of length
/// hidden per item for the logits. The trained users' codes μ are cached, so
/// <see cref="ScoreUser"/> runs the decoder only.
/// </remarks>
internal sealed class MultVaeServingModel
{
    public MultVaeServingModel(int users, int items, DenseLayer encoder, DenseLayer mean, DenseLayer decoder, DenseLayer decoderOut,
        float[] userCodes, float[] popularity)
    {
        int hidden = encoder.Outputs, latent = mean.Outputs;
        if (encoder.Inputs != items || mean.Inputs != hidden || decoder.Inputs != latent || decoder.Outputs != hidden
            || decoderOut.Inputs != hidden || decoderOut.Outputs != items)
            throw new ArgumentException("The layers do not chain.", nameof(encoder));
        if (userCodes.Length != (long)users * latent) throw new ArgumentException("User codes do not match the dimensions.", nameof(userCodes));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));

        Users = users;
        Items = items;
        Hidden = hidden;
        Latent = latent;
        Encoder = encoder;
        Mean = mean;
        Decoder = decoder;
        DecoderOut = decoderOut;
        UserCodes = userCodes;
        Popularity = popularity;
        _encoderByItem = Serving.Transpose(encoder.Weights, hidden, items);
    }

    /// <summary>Computes the training users' codes from their (distinct) histories with the serving forward pass.</summary>
    public static float[] EncodeUsers(int[][] positives, int items, DenseLayer encoder, DenseLayer mean)
    {
        int latent = mean.Outputs;
        var byItem = Serving.Transpose(encoder.Weights, encoder.Outputs, items);
        var codes = new float[(long)positives.Length * latent];
        var hidden = new float[encoder.Outputs];
        for (int u = 0; u < positives.Length; u++)
            Encode(byItem, encoder, mean, positives[u], hidden, codes.AsSpan(u * latent, latent));
        return codes;
    }

    public int Users { get; }
    public int Items { get; }
    public int Hidden { get; }
    public int Latent { get; }
    public DenseLayer Encoder { get; }

    /// <summary>The μ half of the encoder's output layer (latent × hidden).</summary>
    public DenseLayer Mean { get; }
    public DenseLayer Decoder { get; }
    public DenseLayer DecoderOut { get; }

    /// <summary>Users × latent: μ of q(z|x) for every training user.</summary>
    public float[] UserCodes { get; }
    public float[] Popularity { get; }

    private readonly float[] _encoderByItem;

    public void ScoreUser(int user, Span<float> scores)
    {
        Serving.CheckUser(Users, user);
        Serving.CheckScores(Items, scores);
        Decode(UserCodes.AsSpan(user * Latent, Latent), scores);
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        Serving.CheckScores(Items, scores);
        Serving.CheckHistory(Items, history);
        if (history.IsEmpty)
        {
            Popularity.CopyTo(scores);
            return;
        }
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        var work = ArrayPool<float>.Shared.Rent(Hidden + Latent);
        try
        {
            var code = work.AsSpan(Hidden, Latent);
            Encode(_encoderByItem, Encoder, Mean, distinct.AsSpan(0, count), work.AsSpan(0, Hidden), code);
            Decode(code, scores);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<float>.Shared.Return(work);
        }
    }

    /// <summary>μ = W₂ tanh(W₁ x̂ + b₁) + b₂ with x̂ the L2-normalised 0/1 vector of the distinct <paramref name="items"/>.</summary>
    private static void Encode(float[] encoderByItem, DenseLayer encoder, DenseLayer mean, ReadOnlySpan<int> items, Span<float> hidden, Span<float> code)
    {
        int h = encoder.Outputs;
        hidden = hidden[..h];
        hidden.Clear();
        foreach (var i in items)
            TensorPrimitives.Add(hidden, encoderByItem.AsSpan(i * h, h), hidden);
        if (!items.IsEmpty) TensorPrimitives.Multiply(hidden, 1f / MathF.Sqrt(items.Length), hidden);
        TensorPrimitives.Add(hidden, encoder.Bias, hidden);
        TensorPrimitives.Tanh(hidden, hidden);
        mean.Forward(hidden, code);
    }

    /// <summary>The multinomial logits W₄ tanh(W₃ z + b₃) + b₄ (softmax is monotone, so logits rank as probabilities).</summary>
    private void Decode(ReadOnlySpan<float> code, Span<float> scores)
    {
        var rented = ArrayPool<float>.Shared.Rent(Hidden);
        try
        {
            var hidden = rented.AsSpan(0, Hidden);
            Decoder.Forward(code, hidden);
            TensorPrimitives.Tanh(hidden, hidden);
            DecoderOut.Forward(hidden, scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rented);
        }
    }
}
