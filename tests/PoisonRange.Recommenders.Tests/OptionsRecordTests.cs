using System.Reflection;
using PoisonRange.Recommenders.Classical;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Neural;
using PoisonRange.Recommenders.Sequential;

namespace PoisonRange.Recommenders.Tests;

public sealed class OptionsRecordTests
{
    [Theory]
    [InlineData("itemae", "hiddenDim,latentDim,epochs,batchSize,learningRate,finalLearningRateFactor,l2,positiveWeight,foldInL2")]
    [InlineData("multvae", "hiddenDim,latentDim,epochs,batchSize,learningRate,l2,dropout,betaCap,annealFraction")]
    [InlineData("bprmf", "factors,epochs,batchSize,learningRate,finalLearningRateFactor,l2,useItemBias,optimizer,initStd,foldInL2")]
    [InlineData("fpmc", "factors,epochs,batchSize,learningRate,l2,useItemBias,optimizer,initStd,foldInL2")]
    [InlineData("wrmf", "factors,epochs,positiveWeight,l2,initStd")]
    [InlineData("wrmf-sgd", "factors,epochs,batchSize,learningRate,finalLearningRateFactor,positiveWeight,l2,initStd")]
    [InlineData("transrec", "factors,epochs,batchSize,learningRate,l2,distance,optimizer,initStd,foldInL2")]
    public void Settings_shared_through_a_base_record_keep_their_documented_order(string kind, string names)
        => Assert.Equal(names.Split(','), RecommenderFactory.Describe(kind).HyperParameterNames);

    [Fact]
    public void Records_without_a_base_record_list_their_settings_in_declaration_order()
    {
        var records = typeof(IRecommender).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IModelOptions<>)))
            .Where(t => t.BaseType == typeof(object))
            .ToArray();
        Assert.True(records.Length >= 5, $"only {records.Length} options records found");
        foreach (var record in records)
        {
            var declared = record.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.CanWrite && p.Name is not ("Seed" or "Threads"))
                .OrderBy(p => p.MetadataToken)
                .Select(p => char.ToLowerInvariant(p.Name[0]) + p.Name[1..]);
            var bound = typeof(OptionsBinder).GetMethod(nameof(OptionsBinder.NamesOf))!.MakeGenericMethod(record)
                .Invoke(null, [new[] { "Seed", "Threads" }]);
            Assert.Equal(declared, (IReadOnlyList<string>)bound!);
        }
    }

    [Fact]
    public void Shared_settings_take_each_records_defaults_and_name_the_record_in_errors()
    {
        var itemAe = new ItemAeOptions();
        Assert.Equal((ItemAeOptions.Defaults.LatentDim, ItemAeOptions.Defaults.Epochs, ItemAeOptions.Defaults.BatchSize, ItemAeOptions.Defaults.LearningRate, ItemAeOptions.Defaults.L2, ItemAeOptions.Defaults.Seed, ItemAeOptions.Defaults.Threads),
            (itemAe.LatentDim, itemAe.Epochs, itemAe.BatchSize, itemAe.LearningRate, itemAe.L2, itemAe.Seed, itemAe.Threads));
        var vae = new MultVaeOptions();
        Assert.Equal((MultVaeOptions.Defaults.LatentDim, MultVaeOptions.Defaults.Epochs, MultVaeOptions.Defaults.BatchSize, MultVaeOptions.Defaults.LearningRate, MultVaeOptions.Defaults.L2, MultVaeOptions.Defaults.Seed, MultVaeOptions.Defaults.Threads),
            (vae.LatentDim, vae.Epochs, vae.BatchSize, vae.LearningRate, vae.L2, vae.Seed, vae.Threads));

        var copy = new MultVaeOptions { LatentDim = 7, Epochs = 3 } with { Dropout = 0.1 };
        Assert.Equal((7, 3, 0.1), (copy.LatentDim, copy.Epochs, copy.Dropout));
        Assert.Equal(new MultVaeOptions { LatentDim = 7, Epochs = 3, Dropout = 0.1 }, copy);
        Assert.NotEqual(new MultVaeOptions { LatentDim = 8, Epochs = 3, Dropout = 0.1 }, copy);

        Assert.StartsWith("ItemAeOptions.Epochs must be between 0 and 100000; got -1.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new ItemAeOptions { Epochs = -1 }).Message);
        Assert.StartsWith("MultVaeOptions.BatchSize must be between 1 and 65536; got 0.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new MultVaeOptions { BatchSize = 0 }).Message);
        Assert.StartsWith("TransRecOptions.FoldInL2 must be greater than 0 and at most 1000000; got 0.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new TransRecOptions { FoldInL2 = 0 }).Message);
        var fpmc = new FpmcOptions { Factors = 8 } with { UseItemBias = false };
        Assert.Equal((8, FpmcOptions.Defaults.Epochs, FpmcOptions.Defaults.FoldInL2, false), (fpmc.Factors, fpmc.Epochs, fpmc.FoldInL2, fpmc.UseItemBias));
        Assert.Equal((BprMfOptions.Defaults.Epochs, BprMfOptions.Defaults.L2), (new BprMfOptions().Epochs, new BprMfOptions().L2));
        Assert.StartsWith("WrmfSgdOptions.PositiveWeight must be between 1 and 1000000; got 0.5.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new WrmfSgdOptions { PositiveWeight = 0.5 }).Message);
        Assert.StartsWith("WrmfOptions.Epochs must be between 0 and 10000; got 10001.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new WrmfOptions { Epochs = 10_001 }).Message);
        Assert.Equal((WrmfSgdOptions.Defaults.Factors, WrmfSgdOptions.Defaults.L2, WrmfSgdOptions.Defaults.Epochs), (new WrmfSgdOptions().Factors, new WrmfSgdOptions().L2, new WrmfSgdOptions().Epochs));
        var bound = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create("multvae", new Dictionary<string, string> { ["l2"] = "11" }, 1));
        Assert.Contains("MultVaeOptions.L2 must be between 0 and 10; got 11.", bound.Message);
    }
}
