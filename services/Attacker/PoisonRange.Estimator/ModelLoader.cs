using System.Globalization;
using PoisonRange.Data;
using PoisonRange.Recommenders;
using PoisonRange.Recommenders.Influence;

namespace PoisonRange.Estimator;

/// <summary>One uploaded local model: its declared kind and weight and its checkpoint bytes.</summary>
public sealed record ModelUpload(string Kind, double Weight, byte[] Checkpoint);

/// <summary>What a load installed, per model.</summary>
public sealed record LoadedModelInfo(string Kind, double Weight, string Fingerprint, int Users, int Items);

/// <summary>
/// Turns uploaded checkpoints and an index-only training set into the estimator's local models,
/// checking what the influence views need: a known kind that matches its header, an influence
/// view for it, and the training set's dimensions. Every failure is an
/// <see cref="ArgumentException"/> with a one-line message naming the model.
/// </summary>
public static class ModelLoader
{
    /// <summary>The training set of internal ids 0..itemCount−1, one ordered sequence per user.</summary>
    public static InteractionDataset TrainingSet(int itemCount, IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (itemCount <= 0) throw new ArgumentException($"train.item_count must be positive; got {itemCount}.");
        for (int u = 0; u < sequences.Count; u++)
            foreach (var item in sequences[u])
                if ((uint)item >= (uint)itemCount)
                    throw new ArgumentException($"User {u} of the training set holds item {item}, outside 0..{itemCount - 1}.");
        var users = Enumerable.Range(0, sequences.Count).Select(u => u.ToString(CultureInfo.InvariantCulture)).ToArray();
        var items = Enumerable.Range(0, itemCount).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new InteractionDataset("estimator-train", users, items, [.. sequences], null, null);
    }

    /// <summary>Loads every upload; on any failure the models loaded so far are disposed and the failure is thrown.</summary>
    public static IReadOnlyList<LocalModel> Load(IReadOnlyList<ModelUpload> uploads, InteractionDataset train, out IReadOnlyList<LoadedModelInfo> loaded)
    {
        ArgumentNullException.ThrowIfNull(uploads);
        ArgumentNullException.ThrowIfNull(train);
        if (uploads.Count == 0) throw new ArgumentException("No model was sent.");
        var models = new List<LocalModel>();
        var infos = new List<LoadedModelInfo>();
        try
        {
            foreach (var upload in uploads)
            {
                if (!double.IsFinite(upload.Weight) || upload.Weight < 0)
                    throw new ArgumentException($"Model '{upload.Kind}' has weight {upload.Weight}; weights must be finite and non-negative.");
                IRecommender model;
                try
                {
                    using var bytes = new MemoryStream(upload.Checkpoint, writable: false);
                    model = RecommenderFactory.Load(bytes);
                }
                catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException or EndOfStreamException)
                {
                    throw new ArgumentException($"Model '{upload.Kind}': {ex.Message}", ex);
                }
                models.Add(new LocalModel(upload.Kind, model, upload.Weight));
                if (!string.Equals(model.Kind, upload.Kind, StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException($"The header says kind '{upload.Kind}' but the checkpoint holds '{model.Kind}'.");
                if (!InfluenceModels.SupportedKinds.Contains(model.Kind, StringComparer.OrdinalIgnoreCase))
                    throw new ArgumentException($"Model kind '{model.Kind}' has no influence view; supported: {string.Join(", ", InfluenceModels.SupportedKinds)}.");
                if (model.UserCount != train.UserCount || model.ItemCount != train.ItemCount)
                    throw new ArgumentException($"Model '{model.Kind}' knows {model.UserCount} users × {model.ItemCount} items; the training set has {train.UserCount} × {train.ItemCount}.");
                infos.Add(new LoadedModelInfo(model.Kind, upload.Weight, InfluenceCache.ModelFingerprint(model), model.UserCount, model.ItemCount));
            }
        }
        catch
        {
            foreach (var m in models) m.Model.Dispose();
            throw;
        }
        loaded = infos;
        return models;
    }
}
