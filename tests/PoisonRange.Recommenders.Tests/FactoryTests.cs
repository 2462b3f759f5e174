using PoisonRange.Recommenders.Baselines;
using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Tests;

public sealed class FactoryTests
{
    [Fact]
    public void Maps_kinds_case_insensitively_and_applies_hyper_parameters()
    {
        Assert.Contains("bprmf", RecommenderFactory.Kinds);
        Assert.Contains("poprec", RecommenderFactory.Kinds);
        Assert.Equal(RecommenderFactory.Kinds.Order(StringComparer.Ordinal), RecommenderFactory.Kinds);
        Assert.IsType<PopRec>(RecommenderFactory.Create("PopRec", null, 1));

        var model = Assert.IsType<BprMf>(RecommenderFactory.Create("BPRMF", new Dictionary<string, string>
        {
            ["factors"] = "8",
            ["batch_size"] = "256",
            ["learningRate"] = "0.01",
            ["optimizer"] = "sgd",
            ["use-item-bias"] = "false",
        }, seed: 42, threads: 2));
        Assert.Equal(8, model.Options.Factors);
        Assert.Equal(256, model.Options.BatchSize);
        Assert.Equal(0.01, model.Options.LearningRate);
        Assert.Equal(OptimizerKind.Sgd, model.Options.Optimizer);
        Assert.False(model.Options.UseItemBias);
        Assert.Equal(42UL, model.Options.Seed);
        Assert.Equal(2, model.Options.Threads);
        Assert.Equal(BprMfOptions.Defaults.Epochs, model.Options.Epochs);
    }

    [Fact]
    public void Unknown_kind_lists_the_known_kinds()
    {
        var error = Assert.Throws<UnknownRecommenderKindException>(() => RecommenderFactory.Create("gru4rec-x", null, 1));
        Assert.Contains("gru4rec-x", error.Message);
        Assert.Contains("bprmf", error.Message);
        Assert.Contains("poprec", error.Message);
    }

    [Fact]
    public void Unknown_hyper_parameter_names_it_and_lists_the_valid_names()
    {
        var error = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create("bprmf", new Dictionary<string, string> { ["factorz"] = "8" }, 1));
        Assert.Contains("'factorz'", error.Message);
        Assert.Contains("factors", error.Message);
        Assert.Contains("learningRate", error.Message);
        Assert.Equal(["factorz"], error.Names);
        Assert.DoesNotContain("seed", error.ValidNames);

        var pop = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create("poprec", new Dictionary<string, string> { ["factors"] = "8" }, 1));
        Assert.Contains("(none)", pop.Message);
    }

    [Theory]
    [InlineData("factors", "abc", "integer")]
    [InlineData("factors", "0", "Factors")]
    [InlineData("learningRate", "-1", "LearningRate")]
    [InlineData("l2", "NaN", "L2")]
    [InlineData("finalLearningRateFactor", "0", "FinalLearningRateFactor")]
    [InlineData("finalLearningRateFactor", "1.5", "FinalLearningRateFactor")]
    [InlineData("optimizer", "rmsprop", "Adam")]
    [InlineData("useItemBias", "maybe", "true or false")]
    public void Malformed_or_out_of_range_values_name_the_parameter_and_value(string name, string value, string hint)
    {
        var error = Assert.Throws<HyperParameterException>(() => RecommenderFactory.Create("bprmf", new Dictionary<string, string> { [name] = value }, 1));
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains(value, error.Message);
        Assert.Contains(hint, error.Message);
        Assert.IsAssignableFrom<ArgumentException>(error);
    }

    [Fact]
    public void Options_validate_at_construction()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BprMfOptions { Epochs = -3 });
        Assert.Equal("Epochs", error.ParamName);
        Assert.Contains("-3", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BprMfOptions() with { BatchSize = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BprMfOptions { Threads = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => RecommenderFactory.Create("bprmf", null, 1, threads: 0));
    }
}
