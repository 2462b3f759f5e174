using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Sequential;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Tests;

public class SequentialOptimizerTests
{
    [Fact]
    public void A_changed_learning_rate_is_the_one_the_next_step_uses()
    {
        using var parameter = new Parameter(tensor(new[] { 1f, 2f }));
        using var optimizer = new SequentialOptimizer([parameter], BprOptimizer.Sgd, 0.5);

        void StepOnSum()
        {
            optimizer.ZeroGrad();
            using var loss = parameter.sum();
            loss.backward();
            optimizer.Step();
        }

        StepOnSum(); // gradient 1 everywhere
        Assert.Equal(new[] { 0.5f, 1.5f }, parameter.data<float>().ToArray());
        optimizer.LearningRate = 0.25;
        StepOnSum();
        Assert.Equal(new[] { 0.25f, 1.25f }, parameter.data<float>().ToArray());
        Assert.Equal(0.25, optimizer.LearningRate);
    }

    [Fact]
    public void The_linear_schedule_runs_from_the_rate_to_its_final_fraction()
    {
        Assert.Equal(0.02, SequentialOptimizer.LinearSchedule(0.02, 0.1, 0, 11), 12);
        Assert.Equal(0.011, SequentialOptimizer.LinearSchedule(0.02, 0.1, 5, 11), 12);
        Assert.Equal(0.002, SequentialOptimizer.LinearSchedule(0.02, 0.1, 10, 11), 12);
        Assert.Equal(0.002, SequentialOptimizer.LinearSchedule(0.02, 0.1, 12, 11), 12); // never below the floor
        Assert.Equal(0.02, SequentialOptimizer.LinearSchedule(0.02, 0.1, 0, 1), 12);
        Assert.Equal(0.02, SequentialOptimizer.LinearSchedule(0.02, 1, 7, 11), 12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_learning_rate_must_be_positive_and_finite(double value)
    {
        using var parameter = new Parameter(tensor(new[] { 1f }));
        using var optimizer = new SequentialOptimizer([parameter], BprOptimizer.Adam, 0.01);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = value);
        Assert.Contains("learning rate", error.Message);
        Assert.Equal(0.01, optimizer.LearningRate);
    }
}
