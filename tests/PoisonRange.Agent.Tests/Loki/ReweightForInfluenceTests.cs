using PoisonRange.Agent.Loki;
using PoisonRange.Contracts.Attacker.V1;
using PoisonRange.Recommenders.Influence;
using Xunit;

namespace PoisonRange.Agent.Tests.Loki;

/// <summary>Which of the simulator's local models the LOKI reward differentiates (its Build result lists kinds and weights).</summary>
public sealed class ReweightForInfluenceTests
{
    private static ModelWeight Local(string kind, double weight) => new() { Kind = kind, Weight = weight };

    [Fact]
    public void The_four_loki_kinds_all_enter_the_reward_with_their_weights()
    {
        var models = new[] { Local("bprmf", 0.1), Local("fpmc", 0.2), Local("gru4rec", 0.3), Local("transrec", 0.4) };
        var result = LokiPipelineStrategy.ReweightForInfluence(models, out var note);
        Assert.Null(note);
        Assert.Equal(["bprmf", "fpmc", "gru4rec", "transrec"], result.Select(m => m.Kind));
        Assert.Equal([0.1, 0.2, 0.3, 0.4], result.Select(m => Math.Round(m.Weight, 12)));
    }

    [Fact]
    public void Models_without_an_influence_view_are_named_and_the_others_renormalised()
    {
        var models = new[] { Local("fpmc", 0.2), Local("poprec", 0.6), Local("transrec", 0.2) };
        var result = LokiPipelineStrategy.ReweightForInfluence(models, out var note);
        Assert.Equal(["fpmc", "transrec"], result.Select(m => m.Kind));
        Assert.All(result, m => Assert.Equal(0.5, m.Weight, 12));
        Assert.NotNull(note);
        Assert.Contains("poprec (weight 0.600) cannot be differentiated", note);
        Assert.Contains("fpmc 0.500, transrec 0.500", note);

        var none = Assert.Throws<ArgumentException>(() => LokiPipelineStrategy.ReweightForInfluence([Local("poprec", 1.0)], out _));
        Assert.Contains(string.Join(", ", InfluenceModels.SupportedKinds), none.Message);
    }
}
