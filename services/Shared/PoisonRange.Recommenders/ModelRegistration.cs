using PoisonRange.Recommenders.Checkpoints;

namespace PoisonRange.Recommenders;

/// <summary>
/// The options record of a model of the zoo: hyper-parameters bound by name
/// (<see cref="OptionsBinder"/>), plus the seed and the thread count, which the factory passes
/// separately and which are therefore never hyper-parameters.
/// </summary>
internal interface IModelOptions<TSelf> where TSelf : class, IModelOptions<TSelf>
{
    /// <summary>Seeds every stochastic part of training.</summary>
    ulong Seed { get; }

    /// <summary>Intra-op threads for training.</summary>
    int Threads { get; }

    /// <summary>A copy with the given seed and thread count (validated like the properties).</summary>
    TSelf WithSeedAndThreads(ulong seed, int threads);
}

/// <summary>How a model of the zoo is registered with <see cref="RecommenderFactory"/> and names its settings in checkpoints.</summary>
internal static class ModelRegistration
{
    /// <summary>The options the factory sets itself, excluded from the hyper-parameters.</summary>
    public static readonly string[] FactoryArguments = ["Seed", "Threads"];

    /// <summary>
    /// The registration of a model built from a <typeparamref name="TOptions"/> record: hyper-parameters
    /// bound onto the record's defaults, then the factory's seed and thread count (for a checkpoint: the
    /// hyper-parameters and seed of its header); a checkpoint's body is then read by <paramref name="loadBody"/>.
    /// </summary>
    /// <param name="kind">The kind name ("bprmf").</param>
    /// <param name="description">One line for listings.</param>
    /// <param name="create">Builds the untrained model from its options.</param>
    /// <param name="loadBody">Reads the checkpoint body (after the header) into the model, ending with the end marker.</param>
    public static RecommenderRegistration Create<TOptions, TModel>(string kind, string description, Func<TOptions, TModel> create,
        Action<TModel, CheckpointHeader, BinaryReader> loadBody)
        where TOptions : class, IModelOptions<TOptions>, new()
        where TModel : IRecommender
        => new(
            kind,
            description,
            OptionsBinder.NamesOf<TOptions>(FactoryArguments),
            (hyperParameters, seed, threads) =>
                create(OptionsBinder.Bind(kind, new TOptions(), hyperParameters, FactoryArguments).WithSeedAndThreads(seed, threads)),
            (header, reader, threads) =>
            {
                var model = create(OptionsBinder.Bind(kind, new TOptions(), header.HyperParameters, FactoryArguments).WithSeedAndThreads(header.Seed, threads));
                loadBody(model, header, reader);
                return model;
            });

    /// <summary>Writes the checkpoint header of a model: its kind, body version, seed and hyper-parameters.</summary>
    public static void WriteHeader<TOptions>(BinaryWriter writer, string kind, int bodyVersion, TOptions options)
        where TOptions : class, IModelOptions<TOptions>
        => CheckpointFormat.WriteHeader(writer, new CheckpointHeader(kind, bodyVersion, options.Seed, OptionsBinder.ToDictionary(options, FactoryArguments)));
}
