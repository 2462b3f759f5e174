using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Neural;

/// <summary>
/// The immutable serving form of <see cref="NeuMf"/>: NeuMF's forward pass for one user over the
/// whole catalogue in plain arrays with TensorPrimitives, no TorchSharp, safe from any number of
/// threads.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Everything that depends on the item alone is precomputed once, item-minor so
/// that every kernel runs over contiguous catalogue-length rows: the GMF item factors scaled by
/// their output weights (d × I), and the item half of the first MLP layer, W₁[:, e:]·q′_j (h₁ × I).
/// A request then costs d multiply-adds over the catalogue for GMF, h₁ add-and-ReLU passes for the
/// first layer (its user half is one small matrix-vector product), h_{l−1}·h_l passes for each
/// further layer, and h_L for the output unit.</para>
/// <para><b>Fold-in.</b> With every item-side weight fixed, the new user's embeddings (p, p′) take
/// <c>FoldInSteps</c> Adam steps (step size <c>FoldInLearningRate</c>) from the mean training user
/// on the expectation of the training loss over the negative sampler:</para>
/// <code>
/// L(p, p′) = 1/|H| Σ_{i∈H} softplus(−s_i) + k/|N| Σ_{j∉H} softplus(s_j) + (1 + k)λ(‖p‖² + ‖p′‖²)
/// </code>
/// <para>(k negatives per positive, drawn uniformly from the items N outside the history; λ the
/// training L2 per example, of which each positive brings 1 + k). Every negative enters with its
/// exact expected weight instead of a sample, so the fold-in is deterministic; the gradient is
/// back-propagated by hand through the same precomputed layout, so a step costs about two
/// forward passes. Order and repeats in the history do not matter; an empty history (or one
/// covering the catalogue) scores by training popularity.</para>
/// </remarks>
internal sealed class NeuMfServingModel
{
    public NeuMfServingModel(int users, int items, int factors, int mlpEmbedding, NeuMfParameters parameters, float[] popularity, NeuMfOptions settings)
    {
        var layers = parameters.Layers;
        if (layers.Length == 0) throw new ArgumentException("NeuMF needs at least one MLP layer.", nameof(parameters));
        if (parameters.UserGmf.Length != (long)users * factors || parameters.ItemGmf.Length != (long)items * factors
            || parameters.UserMlp.Length != (long)users * mlpEmbedding || parameters.ItemMlp.Length != (long)items * mlpEmbedding)
            throw new ArgumentException("The embeddings do not match the dimensions.", nameof(parameters));
        if (layers[0].Inputs != 2 * mlpEmbedding || Enumerable.Range(1, layers.Length - 1).Any(l => layers[l].Inputs != layers[l - 1].Outputs))
            throw new ArgumentException("The MLP layers do not chain.", nameof(parameters));
        if (parameters.OutputWeights.Length != factors + layers[^1].Outputs)
            throw new ArgumentException("The output unit does not match the dimensions.", nameof(parameters));
        if (popularity.Length != items) throw new ArgumentException("Popularity does not match the dimensions.", nameof(popularity));

        Users = users;
        Items = items;
        Factors = factors;
        MlpEmbedding = mlpEmbedding;
        Parameters = parameters;
        Popularity = popularity;
        _negatives = settings.Negatives;
        _foldInSteps = settings.FoldInSteps;
        _foldInLearningRate = settings.FoldInLearningRate;
        _foldInL2 = (1 + settings.Negatives) * settings.L2;

        int d = factors, e = mlpEmbedding, first = layers[0].Outputs;
        _gmf = new float[(long)d * items];
        for (int j = 0; j < items; j++)
            for (int k = 0; k < d; k++)
                _gmf[(long)k * items + j] = parameters.OutputWeights[k] * parameters.ItemGmf[(long)j * d + k];
        _firstItem = new float[(long)first * items];
        var w = layers[0].Weights;
        for (int o = 0; o < first; o++)
        {
            var itemWeights = w.AsSpan(o * 2 * e + e, e);
            for (int j = 0; j < items; j++)
                _firstItem[(long)o * items + j] = TensorPrimitives.Dot(itemWeights, parameters.ItemMlp.AsSpan(j * e, e));
        }
        _activationRows = layers.Sum(l => l.Outputs);

        _meanUser = new float[d + e];
        for (int u = 0; u < users; u++)
        {
            TensorPrimitives.Add(_meanUser.AsSpan(0, d), parameters.UserGmf.AsSpan(u * d, d), _meanUser.AsSpan(0, d));
            TensorPrimitives.Add(_meanUser.AsSpan(d, e), parameters.UserMlp.AsSpan(u * e, e), _meanUser.AsSpan(d, e));
        }
        if (users > 0) TensorPrimitives.Multiply(_meanUser, 1f / users, _meanUser);
    }

    public int Users { get; }
    public int Items { get; }
    public int Factors { get; }
    public int MlpEmbedding { get; }
    public NeuMfParameters Parameters { get; }
    public float[] Popularity { get; }

    private readonly int _negatives;
    private readonly int _foldInSteps;
    private readonly double _foldInLearningRate;
    private readonly double _foldInL2;
    private readonly float[] _gmf;
    private readonly float[] _firstItem;
    private readonly int _activationRows;
    private readonly float[] _meanUser;

    public void ScoreUser(int user, Span<float> scores)
    {
        Serving.CheckUser(Users, user);
        Serving.CheckScores(Items, scores);
        var activations = ArrayPool<float>.Shared.Rent(_activationRows * Items);
        try
        {
            Forward(Parameters.UserGmf.AsSpan(user * Factors, Factors), Parameters.UserMlp.AsSpan(user * MlpEmbedding, MlpEmbedding),
                scores, activations);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(activations);
        }
    }

    public void ScoreHistory(ReadOnlySpan<int> history, Span<float> scores)
    {
        Serving.CheckScores(Items, scores);
        Serving.CheckHistory(Items, history);
        var user = ArrayPool<float>.Shared.Rent(Factors + MlpEmbedding);
        var activations = ArrayPool<float>.Shared.Rent(_activationRows * Items);
        try
        {
            var vector = user.AsSpan(0, Factors + MlpEmbedding);
            if (FoldIn(history, vector, scores, activations))
                Forward(vector[..Factors], vector[Factors..], scores, activations);
            else
                Popularity.CopyTo(scores);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(user);
            ArrayPool<float>.Shared.Return(activations);
        }
    }

    /// <summary>
    /// Writes the logits of every item for user embeddings (gmf, mlp) into <paramref name="scores"/>,
    /// leaving each MLP layer's ReLU outputs (layer-major, item-minor) in <paramref name="activations"/>.
    /// </summary>
    private void Forward(ReadOnlySpan<float> gmf, ReadOnlySpan<float> mlp, Span<float> scores, float[] activations)
    {
        int items = Items;
        var layers = Parameters.Layers;
        var output = Parameters.OutputWeights;

        scores.Fill(Parameters.OutputBias);
        for (int k = 0; k < Factors; k++)
            TensorPrimitives.MultiplyAdd(_gmf.AsSpan(k * items, items), gmf[k], scores, scores);

        // First layer: the user half is a small matrix-vector product, the item half is precomputed.
        var first = layers[0];
        var previous = activations.AsSpan(0, first.Outputs * items);
        for (int o = 0; o < first.Outputs; o++)
        {
            float user = TensorPrimitives.Dot(first.Weights.AsSpan(o * first.Inputs, MlpEmbedding), mlp) + first.Bias[o];
            var row = previous.Slice(o * items, items);
            TensorPrimitives.Add(_firstItem.AsSpan(o * items, items), user, row);
            TensorPrimitives.Max(row, 0f, row);
        }
        int offset = first.Outputs * items;
        for (int l = 1; l < layers.Length; l++)
        {
            var layer = layers[l];
            var current = activations.AsSpan(offset, layer.Outputs * items);
            for (int o = 0; o < layer.Outputs; o++)
            {
                var row = current.Slice(o * items, items);
                row.Fill(layer.Bias[o]);
                for (int c = 0; c < layer.Inputs; c++)
                    TensorPrimitives.MultiplyAdd(previous.Slice(c * items, items), layer.Weights[o * layer.Inputs + c], row, row);
                TensorPrimitives.Max(row, 0f, row);
            }
            previous = current;
            offset += layer.Outputs * items;
        }
        int last = layers[^1].Outputs;
        for (int o = 0; o < last; o++)
            TensorPrimitives.MultiplyAdd(previous.Slice(o * items, items), output[Factors + o], scores, scores);
    }

    /// <summary>
    /// Adam on the expected training loss of a new user (see the remarks) into <paramref name="user"/>
    /// ([p; p′]); false when the history carries no ranking information. <paramref name="scores"/> and
    /// <paramref name="activations"/> are work space.
    /// </summary>
    private bool FoldIn(ReadOnlySpan<int> history, Span<float> user, Span<float> scores, float[] activations)
    {
        if (history.IsEmpty) return false;
        int n = Factors + MlpEmbedding;
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        if (Items - count <= 0)
        {
            ArrayPool<int>.Shared.Return(distinct);
            return false;
        }
        var work = ArrayPool<float>.Shared.Rent(3 * n);
        try
        {
            var positives = distinct.AsSpan(0, count);
            var gradient = work.AsSpan(0, n);
            var m = work.AsSpan(n, n);
            var v = work.AsSpan(2 * n, n);
            _meanUser.CopyTo(user);
            m.Clear();
            v.Clear();
            const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
            for (int step = 1; step <= _foldInSteps; step++)
            {
                Objective(positives, user, gradient, scores, activations, computeLoss: false);
                double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
                for (int k = 0; k < n; k++)
                {
                    double gk = gradient[k];
                    m[k] = (float)(beta1 * m[k] + (1 - beta1) * gk);
                    v[k] = (float)(beta2 * v[k] + (1 - beta2) * gk * gk);
                    user[k] -= (float)(_foldInLearningRate * (m[k] / correction1) / (Math.Sqrt(v[k] / correction2) + epsilon));
                }
            }
            return true;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<float>.Shared.Return(work);
        }
    }

    /// <summary>
    /// The fold-in objective L(p, p′) of the remarks for a history and its gradient (into
    /// <paramref name="gradient"/>, d + e values); for tests and diagnostics.
    /// </summary>
    internal double FoldInObjective(ReadOnlySpan<int> history, ReadOnlySpan<float> user, Span<float> gradient)
    {
        var distinct = RidgeFoldIn.RentDistinct(history, out int count);
        var scores = ArrayPool<float>.Shared.Rent(Items);
        var activations = ArrayPool<float>.Shared.Rent(_activationRows * Items);
        try
        {
            return Objective(distinct.AsSpan(0, count), user, gradient, scores.AsSpan(0, Items), activations, computeLoss: true);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(distinct);
            ArrayPool<float>.Shared.Return(scores);
            ArrayPool<float>.Shared.Return(activations);
        }
    }

    /// <summary>
    /// One forward and backward pass of the fold-in objective at <paramref name="user"/> for the
    /// distinct sorted <paramref name="positives"/>: writes the gradient and returns the loss (NaN
    /// unless <paramref name="computeLoss"/>).
    /// </summary>
    private double Objective(ReadOnlySpan<int> positives, ReadOnlySpan<float> user, Span<float> gradient, Span<float> scores, float[] activations, bool computeLoss)
    {
        int items = Items, d = Factors, e = MlpEmbedding, count = positives.Length, negatives = items - count;
        var layers = Parameters.Layers;
        int maxWidth = layers.Max(l => l.Outputs);
        var gradientRows = ArrayPool<float>.Shared.Rent(2 * maxWidth * items);
        var work = ArrayPool<float>.Shared.Rent(items + maxWidth);
        try
        {
            var g = work.AsSpan(0, items);
            var firstGradient = work.AsSpan(items, maxWidth);
            Forward(user[..d], user[d..], scores, activations);
            float positiveScale = 1f / count, negativeScale = (float)_negatives / negatives;

            double loss = double.NaN;
            if (computeLoss)
            {
                // softplus(x) = max(x, 0) + log(1 + e^−|x|)
                static double Softplus(double x) => Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
                double positive = 0, negative = 0;
                int next = 0;
                for (int j = 0; j < items; j++)
                {
                    if (next < count && positives[next] == j)
                    {
                        positive += Softplus(-scores[j]);
                        next++;
                    }
                    else
                    {
                        negative += Softplus(scores[j]);
                    }
                }
                double squaredNorm = TensorPrimitives.Dot(user, user);
                loss = positive / count + negative * _negatives / negatives + _foldInL2 * squaredNorm;
            }

            // dL/ds_j: σ(s_j)·k/|N| off the history, (σ(s_i) − 1)/|H| on it.
            TensorPrimitives.Sigmoid(scores, g);
            TensorPrimitives.Multiply(g, negativeScale, g);
            foreach (var i in positives) g[i] = (1f / (1f + MathF.Exp(-scores[i])) - 1f) * positiveScale;

            for (int k = 0; k < d; k++)
                gradient[k] = TensorPrimitives.Dot(_gmf.AsSpan(k * items, items), g);
            BackpropagateMlp(g, activations, gradientRows, firstGradient);
            var first = layers[0];
            var mlpGradient = gradient.Slice(d, e);
            mlpGradient.Clear();
            for (int o = 0; o < first.Outputs; o++)
                TensorPrimitives.MultiplyAdd(first.Weights.AsSpan(o * first.Inputs, e), firstGradient[o], mlpGradient, mlpGradient);
            TensorPrimitives.MultiplyAdd(user, (float)(2 * _foldInL2), gradient, gradient);
            return loss;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(gradientRows);
            ArrayPool<float>.Shared.Return(work);
        }
    }

    /// <summary>
    /// Back-propagates dL/ds (<paramref name="g"/>, per item) through the MLP tower to the first
    /// layer's pre-activations and sums over the items: <paramref name="firstGradient"/>[o] =
    /// Σ_j dL/dz₁[o, j], the gradient of the first layer's user half.
    /// </summary>
    private void BackpropagateMlp(ReadOnlySpan<float> g, float[] activations, float[] gradientRows, Span<float> firstGradient)
    {
        int items = Items;
        var layers = Parameters.Layers;
        var output = Parameters.OutputWeights;
        int maxWidth = layers.Max(l => l.Outputs);
        var current = gradientRows.AsSpan(0, maxWidth * items);
        var next = gradientRows.AsSpan(maxWidth * items, maxWidth * items);

        int offset = _activationRows * items;
        int width = layers[^1].Outputs;
        offset -= width * items;
        // δ_L[o, j] = g_j · w_out[o] · 1[a_L[o, j] > 0]
        for (int o = 0; o < width; o++)
        {
            var row = current.Slice(o * items, items);
            TensorPrimitives.Multiply(g, output[Factors + o], row);
            MaskByActivation(row, activations.AsSpan(offset + o * items, items));
        }
        for (int l = layers.Length - 1; l >= 1; l--)
        {
            var layer = layers[l];
            int below = layer.Inputs;
            offset -= below * items;
            for (int c = 0; c < below; c++)
            {
                var row = next.Slice(c * items, items);
                row.Clear();
                for (int o = 0; o < layer.Outputs; o++)
                    TensorPrimitives.MultiplyAdd(current.Slice(o * items, items), layer.Weights[o * layer.Inputs + c], row, row);
                MaskByActivation(row, activations.AsSpan(offset + c * items, items));
            }
            var swap = current;
            current = next;
            next = swap;
        }
        for (int o = 0; o < layers[0].Outputs; o++)
            firstGradient[o] = TensorPrimitives.Sum<float>(current.Slice(o * items, items));
    }

    /// <summary>Zeroes the gradient where the ReLU was inactive.</summary>
    private static void MaskByActivation(Span<float> gradient, ReadOnlySpan<float> activation)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var gradients = MemoryMarshal.Cast<float, Vector<float>>(gradient);
            var activations = MemoryMarshal.Cast<float, Vector<float>>(activation);
            for (int v = 0; v < gradients.Length; v++)
                gradients[v] = Vector.ConditionalSelect(Vector.GreaterThan(activations[v], Vector<float>.Zero), gradients[v], Vector<float>.Zero);
            j = gradients.Length * Vector<float>.Count;
        }
        for (; j < gradient.Length; j++)
            if (!(activation[j] > 0)) gradient[j] = 0;
    }
}
