using PoisonRange.Recommenders.Training;

namespace PoisonRange.Recommenders.Tests;

public sealed class OptionChecksTests
{
    [Fact]
    public void Values_in_range_pass_through()
    {
        Assert.Equal(3, OptionChecks.Range(3, 1, 3, "R", "N"));
        Assert.Equal(10, OptionChecks.Positive(10, 10, "R", "N"));
        Assert.Equal(0, OptionChecks.NonNegative(0, 1, "R", "N"));
        Assert.Equal(0.5, OptionChecks.Open01(0.5, "R", "N"));
        Assert.Equal(0, OptionChecks.Fraction(0, "R", "N"));
        Assert.Equal(OptimizerKind.Sgd, OptionChecks.Defined(OptimizerKind.Sgd, "R", "N"));
        Assert.Equal([64, 32], OptionChecks.LayerList(" 64, 32 ", 1, 8, 4096, "R", "N"));
    }

    [Fact]
    public void Failures_name_the_record_the_option_and_the_value_on_one_line()
    {
        AssertMessage("Rec.Opt must be between 1 and 3; got 4.", () => OptionChecks.Range(4, 1, 3, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be greater than 0 and at most 10; got 0.", () => OptionChecks.Positive(0, 10, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be greater than 0 and at most 10; got NaN.", () => OptionChecks.Positive(double.NaN, 10, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be between 0 and 1; got -1.", () => OptionChecks.NonNegative(-1, 1, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be strictly between 0 and 1; got 1.", () => OptionChecks.Open01(1, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be at least 0 and below 1; got 1.", () => OptionChecks.Fraction(1, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be one of Adam, Sgd; got 7.", () => OptionChecks.Defined((OptimizerKind)7, "Rec", "Opt"));
        AssertMessage("Rec.Opt must be a comma-separated list of layer widths between 1 and 8; got '4,9'.", () => OptionChecks.LayerList("4,9", 1, 2, 8, "Rec", "Opt"));
        AssertMessage("Rec.Opt must list between 1 and 2 layer widths; got '1,2,3'.", () => OptionChecks.LayerList("1,2,3", 1, 2, 8, "Rec", "Opt"));
        AssertMessage("Rec.Opt must list between 1 and 2 layer widths; got ''.", () => OptionChecks.LayerList(null, 1, 2, 8, "Rec", "Opt"));
    }

    private static void AssertMessage(string expected, Func<object> check)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => check());
        Assert.Equal("Opt", error.ParamName);
        Assert.StartsWith(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message.Split(" (Parameter")[0]);
    }
}
