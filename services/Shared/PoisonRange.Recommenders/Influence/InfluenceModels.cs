using PoisonRange.Data;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Influence;

/// <summary>Builds the differentiable view of a trained or loaded recommender.</summary>
public static class InfluenceModels
{
    /// <summary>The kinds that have a differentiable view.</summary>
    public static IReadOnlyList<string> SupportedKinds { get; } = [BprMf.KindName, Fpmc.KindName, Gru4Rec.KindName, TransRec.KindName];

    /// <summary>
    /// The view of <paramref name="model"/> (fitted or loaded) over its training set
    /// <paramref name="train"/>; <paramref name="seed"/> fixes the negatives of BPR-MF, FPMC and TransRec.
    /// </summary>
    /// <exception cref="NotSupportedException">The model's kind has no differentiable view.</exception>
    public static IInfluenceModel Create(IRecommender model, InteractionDataset train, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        return model switch
        {
            BprMf bpr => new BprMfInfluence(bpr, train, seed),
            Fpmc fpmc => new FpmcInfluence(fpmc, train, seed),
            Gru4Rec gru => new Gru4RecInfluence(gru, train),
            TransRec transRec => new TransRecInfluence(transRec, train, seed),
            _ => throw new NotSupportedException(
                $"Model kind '{model.Kind}' has no influence view; supported: {string.Join(", ", SupportedKinds)}."),
        };
    }
}
