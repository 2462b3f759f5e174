using PoisonRange.Recommenders.Factorization;
using PoisonRange.Recommenders.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PoisonRange.Recommenders.Tests;

public class TorchOptimizerTests
{
    [Fact]
    public void A_changed_learning_rate_is_the_one_the_next_step_uses()
    {
        using var parameter = new Parameter(tensor(new[] { 1f, 2f }));
        using var optimizer = new TorchOptimizer([parameter], OptimizerKind.Sgd, 0.5);

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
        Assert.Equal(0.02, TorchOptimizer.LinearSchedule(0.02, 0.1, 0, 11), 12);
        Assert.Equal(0.011, TorchOptimizer.LinearSchedule(0.02, 0.1, 5, 11), 12);
        Assert.Equal(0.002, TorchOptimizer.LinearSchedule(0.02, 0.1, 10, 11), 12);
        Assert.Equal(0.002, TorchOptimizer.LinearSchedule(0.02, 0.1, 12, 11), 12); // never below the floor
        Assert.Equal(0.02, TorchOptimizer.LinearSchedule(0.02, 0.1, 0, 1), 12);
        Assert.Equal(0.02, TorchOptimizer.LinearSchedule(0.02, 1, 7, 11), 12);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_learning_rate_must_be_positive_and_finite(double value)
    {
        using var parameter = new Parameter(tensor(new[] { 1f }));
        using var optimizer = new TorchOptimizer([parameter], OptimizerKind.Adam, 0.01);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = value);
        Assert.Contains("learning rate", error.Message);
        Assert.Equal(0.01, optimizer.LearningRate);
    }

    [Fact]
    public void Adam_steps_match_Kingma_and_Ba_with_bias_correction()
    {
        // Algorithm 1 by hand on f(θ) = Σ θ² (g = 2θ), α = 0.1, three steps, in double.
        using var parameter = new Parameter(tensor(new[] { 1.0, -2.0 }));
        using var optimizer = new TorchOptimizer([parameter], OptimizerKind.Adam, 0.1);
        double[] theta = [1.0, -2.0], m = new double[2], v = new double[2];
        for (int t = 1; t <= 3; t++)
        {
            optimizer.ZeroGrad();
            using (var loss = parameter.pow(2).sum()) loss.backward();
            optimizer.Step();
            for (int k = 0; k < 2; k++)
            {
                double g = 2 * theta[k];
                m[k] = 0.9 * m[k] + 0.1 * g;
                v[k] = 0.999 * v[k] + 0.001 * g * g;
                double mHat = m[k] / (1 - Math.Pow(0.9, t)), vHat = v[k] / (1 - Math.Pow(0.999, t));
                theta[k] -= 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8);
            }
            var actual = parameter.data<double>().ToArray();
            for (int k = 0; k < 2; k++) Assert.Equal(theta[k], actual[k], 12);
        }
        Assert.Equal(OptimizerKind.Adam, optimizer.Kind);
    }

    [Fact]
    public void Weight_decay_is_added_to_the_gradient()
    {
        using var parameter = new Parameter(tensor(new[] { 2.0 }));
        using var optimizer = new TorchOptimizer([parameter], OptimizerKind.Sgd, 0.5, weightDecay: 0.1);
        optimizer.ZeroGrad();
        using (var loss = parameter.sum()) loss.backward();
        optimizer.Step();
        Assert.Equal(2.0 - 0.5 * (1 + 0.1 * 2.0), parameter.data<double>()[0], 12);
    }

    [Fact]
    public void Bad_settings_are_refused_with_one_line_errors()
    {
        using var parameter = new Parameter(tensor(new[] { 1f }));
        Assert.Contains("learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => new TorchOptimizer([parameter], OptimizerKind.Sgd, 0)).Message);
        Assert.Contains("weight decay", Assert.Throws<ArgumentOutOfRangeException>(() => new TorchOptimizer([parameter], OptimizerKind.Sgd, 0.1, weightDecay: -1)).Message);
        Assert.Contains("final learning-rate factor", Assert.Throws<ArgumentOutOfRangeException>(() => new TorchOptimizer([parameter], OptimizerKind.Sgd, 0.1, finalLearningRateFactor: double.NaN)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TorchOptimizer([parameter], OptimizerKind.Sgd, 0.1, plannedSteps: -1));
        Assert.Contains("Unknown optimizer", Assert.Throws<ArgumentOutOfRangeException>(() => new TorchOptimizer([parameter], (OptimizerKind)9, 0.1)).Message);
    }

    [Theory]
    [InlineData("adam", OptimizerKind.Adam)]
    [InlineData("SGD", OptimizerKind.Sgd)]
    public void Scenario_strings_still_name_the_optimizer(string value, OptimizerKind expected)
    {
        var model = Assert.IsType<BprMf>(RecommenderFactory.Create("bprmf", new Dictionary<string, string> { ["optimizer"] = value }, seed: 1));
        Assert.Equal(expected, model.Options.Optimizer);
    }
}
