using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PoisonRange.Data;
using PoisonRange.Recommenders;

namespace PoisonRange.Bench;

/// <summary>
/// <c>bench micro</c>: BenchmarkDotNet micro-benchmarks, run in this process (no generated
/// project), of the two steps every Recommend call pays: top-K selection over the catalogue's
/// scores and the serving scorer of a trained BPR-MF. Build with <c>-c Release</c>; the
/// <c>dry</c> job runs each case once, also from a Debug build, to check that they run.
/// </summary>
internal static class MicroBench
{
    public static int Run(BenchArguments arguments)
    {
        var filter = arguments.String("filter", "*");
        var job = arguments.String("job", "short") switch
        {
            "short" => Job.ShortRun,
            "medium" => Job.MediumRun,
            "dry" => Job.Dry,
            var other => throw new ArgumentException($"--job expects short, medium or dry, got '{other}'."),
        };
        var config = ManualConfig.CreateMinimumViable()
            .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance))
            .AddFilter(new GlobFilter([filter]))
            .WithOptions(ConfigOptions.JoinSummary);
        if (job == Job.Dry) config = config.WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkRunner.Run([typeof(TopKBenchmarks), typeof(ServingBenchmarks)], config);
        if (summaries.All(s => s.BenchmarksCases.Length == 0))
            throw new ArgumentException($"--filter '{filter}' matches no micro-benchmark (TopKBenchmarks.*, ServingBenchmarks.*).");
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}

/// <summary>Top-K selection (<see cref="TopK"/>, a bounded heap) against sorting every index, with 15 excluded items.</summary>
[MemoryDiagnoser]
public class TopKBenchmarks
{
    private float[] _scores = [];
    private int[] _exclude = [];
    private int[] _destination = [];
    private int[] _order = [];
    private float[] _keys = [];

    [Params(3_706, 100_000)]
    public int Items { get; set; }

    [Params(10, 100)]
    public int K { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _scores = new float[Items];
        for (int i = 0; i < Items; i++) _scores[i] = (float)random.NextDouble();
        _exclude = Enumerable.Range(0, 15).Select(i => i * (Items / 15)).ToArray();
        _destination = new int[K];
        _order = new int[Items];
        _keys = new float[Items];
    }

    [Benchmark]
    public int HeapSelect() => TopK.SelectInto(_scores, _exclude, _destination);

    [Benchmark(Baseline = true)]
    public int SortAll()
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
            _keys[i] = -_scores[i];
        }
        foreach (var e in _exclude) _keys[e] = float.PositiveInfinity;
        Array.Sort(_keys, _order);
        _order.AsSpan(0, K).CopyTo(_destination);
        return K;
    }
}

/// <summary>The serving path of a trained BPR-MF: score one known user, or fold in a 15-item history, then select the top 10.</summary>
[MemoryDiagnoser]
public class ServingBenchmarks
{
    private IRecommender? _model;
    private InteractionDataset? _data;
    private float[] _scores = [];
    private readonly int[] _top = new int[10];
    private int[] _history = [];
    private int _user;

    [Params(500, 5_000)]
    public int Items { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = SyntheticGenerator.Generate(new SyntheticOptions { Users = 1000, Items = Items, Seed = 1 });
        _model = RecommenderFactory.Create("bprmf", new Dictionary<string, string> { ["epochs"] = "2" }, seed: 1, threads: 1);
        _model.Fit(_data);
        _scores = new float[_model.ItemCount];
        _history = _data.Sequences[0].Take(15).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _model?.Dispose();

    [Benchmark]
    public int ScoreUserTopK()
    {
        int u = _user++ % _model!.UserCount;
        _model.ScoreUser(u, _scores);
        return TopK.SelectInto(_scores, _data!.Sequences[u], _top);
    }

    [Benchmark]
    public int FoldInTopK()
    {
        _model!.ScoreHistory(_history, _scores);
        return TopK.SelectInto(_scores, _history, _top);
    }
}
