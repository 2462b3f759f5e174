using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using Xunit;

namespace PoisonRange.Platform.Tests;

/// <summary>
/// The Referee's Evaluate on a dataset small enough to work out by hand, through the real gRPC
/// API. The victim is PopRec, so every user's ranking is the items by popularity, the user's
/// own items masked.
/// </summary>
public sealed class EvaluateTests : IAsyncLifetime
{
    // Items A..E are 101..105, interacted with by 5, 4, 3, 2 and 1 users: PopRec ranks A > B > C > D > E.
    //   user 1: A B C D   top-2: E
    //   user 2: A B C D   top-2: E
    //   user 3: A B C     top-2: D E
    //   user 4: A B       top-2: C D
    //   user 5: A E       top-2: B C
    private const string A = "101", D = "104", E = "105";

    private static readonly string[] Rows =
    [
        "1\t101\t5\t1", "1\t102\t5\t2", "1\t103\t5\t3", "1\t104\t5\t4",
        "2\t101\t5\t1", "2\t102\t5\t2", "2\t103\t5\t3", "2\t104\t5\t4",
        "3\t101\t5\t1", "3\t102\t5\t2", "3\t103\t5\t3",
        "4\t101\t5\t1", "4\t102\t5\t2",
        "5\t101\t5\t1", "5\t105\t5\t2",
    ];

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"poisonrange-evaluate-{Guid.NewGuid():N}.tsv");
    private PlatformHarness _h = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllLinesAsync(_file, Rows);
        _h = await PlatformHarness.StartAsync();
        var scenario = new Scenario
        {
            Name = "by-hand",
            Seed = 1,
            Dataset = new DatasetSpec { Source = _file, Format = "delimited" },
            Victim = new VictimSpec { Kind = "poprec" },
            AttackerKeys = { PlatformHarness.AttackerKey },
        };
        var configured = await _h.Referee.ConfigureAsync(scenario);
        Assert.Equal((5, 5, 15L), (configured.Users, configured.Items, configured.Interactions));
    }

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        File.Delete(_file);
    }

    private static EvaluateRequest Request(int k, string[] items, string[] users)
    {
        var request = new EvaluateRequest { K = k };
        request.TargetItems.Add(items);
        request.TargetUsers.Add(users);
        return request;
    }

    [Fact]
    public async Task Top_2_numbers_match_the_hand_computation()
    {
        // Target items D, A, E (D twice), target users 1, 4, 5 (4 twice): each counted once.
        var reply = await _h.Referee.EvaluateAsync(Request(2, [D, A, E, D], ["1", "4", "5", "4"]));

        // Display rate: user 1 sees E, user 4 sees D, user 5 sees neither: 2 of 3.
        Assert.Equal(2 / 3.0, reply.DisplayRate);
        Assert.Equal(3, reply.TargetUsersEvaluated);
        Assert.Equal(5, reply.NormalUsers);
        Assert.Equal("m1", reply.ModelVersion);

        // HR_t@2: D over users 3, 4, 5 (who have not seen it): 3 and 4 are shown it, 2/3.
        // E over users 1..4: 1, 2 and 3 are shown it, 3/4. A: everyone has it, left out.
        Assert.Equal([(D, 2 / 3.0, 3), (E, 3 / 4.0, 4)], reply.Items.Select(i => (i.ItemId, i.HitRatio, i.Population)));
        Assert.Equal([A], reply.ExcludedItems);
        Assert.Equal((2 / 3.0 + 3 / 4.0) / 2, reply.MeanItemHitRatio);
    }

    [Fact]
    public async Task Top_1_numbers_match_the_hand_computation()
    {
        // Top-1: users 1 and 2 get E, user 3 D, user 4 C, user 5 B.
        var reply = await _h.Referee.EvaluateAsync(Request(1, [D, E], ["1", "4", "5"]));
        Assert.Equal(1 / 3.0, reply.DisplayRate);
        Assert.Equal([(D, 1 / 3.0, 3), (E, 1 / 2.0, 4)], reply.Items.Select(i => (i.ItemId, i.HitRatio, i.Population)));
        Assert.Empty(reply.ExcludedItems);
        Assert.Equal((1 / 3.0 + 1 / 2.0) / 2, reply.MeanItemHitRatio);
    }

    [Fact]
    public async Task Only_items_everyone_has_seen_leave_no_mean()
    {
        var reply = await _h.Referee.EvaluateAsync(Request(2, [A], ["5"]));
        Assert.Equal(0.0, reply.DisplayRate);
        Assert.Empty(reply.Items);
        Assert.Equal([A], reply.ExcludedItems);
        Assert.True(double.IsNaN(reply.MeanItemHitRatio));
    }

    [Theory]
    [InlineData(2, new[] { D }, new string[0], StatusCode.InvalidArgument, "target_users is empty")]
    [InlineData(2, new string[0], new[] { "1" }, StatusCode.InvalidArgument, "target_items is empty")]
    [InlineData(0, new[] { D }, new[] { "1" }, StatusCode.InvalidArgument, "k must be positive")]
    [InlineData(2, new[] { D }, new[] { "9" }, StatusCode.NotFound, "target user '9'")]
    [InlineData(2, new[] { "999" }, new[] { "1" }, StatusCode.NotFound, "target item '999'")]
    public async Task Bad_requests_are_refused_with_one_line(int k, string[] items, string[] users, StatusCode code, string message)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _h.Referee.EvaluateAsync(Request(k, items, users)));
        Assert.Equal(code, ex.StatusCode);
        Assert.Contains(message, ex.Status.Detail);
        Assert.DoesNotContain('\n', ex.Status.Detail);
    }
}
