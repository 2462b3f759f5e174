using PoisonRange.Range.Targets;
using Xunit;

namespace PoisonRange.Range.Tests;

public class TargetSelectorTests
{
    /// <summary>Items i00..i19 where item i has popularity i; users u00..u29 each saw three items.</summary>
    private static CatalogueView View()
    {
        var items = Enumerable.Range(0, 20).Select(i => $"i{i:00}").ToList();
        var popularity = items.Select((id, i) => (id, i)).Where(x => x.i > 0).ToDictionary(x => x.id, x => x.i);
        var users = Enumerable.Range(0, 30).ToDictionary(
            u => $"u{u:00}",
            u => (IReadOnlyCollection<string>)new HashSet<string> { items[u % 20], items[(u + 7) % 20], items[(u + 13) % 20] });
        return new CatalogueView(items, popularity, users);
    }

    [Theory]
    [InlineData("all", 0, 100)]
    [InlineData("unpopular", 0, 50)]
    [InlineData("popular", 50, 100)]
    [InlineData("10-30", 10, 30)]
    [InlineData(" Unpopular ", 0, 50)]
    public void Bands_parse(string text, double lo, double hi)
    {
        Assert.True(TargetBand.TryParse(text, out var band, out _));
        Assert.Equal(new TargetBand(lo, hi), band);
    }

    [Theory]
    [InlineData("")]
    [InlineData("middle")]
    [InlineData("50-10")]
    [InlineData("0-120")]
    public void Bad_bands_are_refused(string text)
    {
        Assert.False(TargetBand.TryParse(text, out _, out var problem));
        Assert.Contains("unpopular", problem);
    }

    [Fact]
    public void Unpopular_is_the_bottom_half_by_popularity()
    {
        var band = TargetSelector.ItemsInBand(View(), TargetBand.Parse("unpopular"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"i{i:00}"), band);
        var popular = TargetSelector.ItemsInBand(View(), TargetBand.Parse("popular"));
        Assert.Equal(Enumerable.Range(10, 10).Select(i => $"i{i:00}"), popular);
        var tail = TargetSelector.ItemsInBand(View(), TargetBand.Parse("0-20"));
        Assert.Equal(["i00", "i01", "i02", "i03"], tail);
    }

    [Fact]
    public void Choice_is_deterministic_by_seed_and_stays_in_the_band()
    {
        var view = View();
        var band = TargetBand.Parse("unpopular");
        var a = TargetSelector.ChooseItems(view, band, 4, seed: 7);
        var b = TargetSelector.ChooseItems(view, band, 4, seed: 7);
        Assert.Equal(a, b);
        Assert.Equal(4, a.Distinct().Count());
        Assert.All(a, id => Assert.Contains(id, TargetSelector.ItemsInBand(view, band)));

        var others = Enumerable.Range(8, 10).Select(s => TargetSelector.ChooseItems(view, band, 4, (ulong)s)).ToList();
        Assert.Contains(others, o => !o.SequenceEqual(a));

        var users = TargetSelector.ChooseUsers(view, a, 5, seed: 7);
        Assert.Equal(users, TargetSelector.ChooseUsers(view, a, 5, seed: 7));
    }

    [Fact]
    public void Target_users_have_not_interacted_with_the_targets()
    {
        var view = View();
        var targets = new[] { "i00", "i01" };
        var users = TargetSelector.ChooseUsers(view, targets, 10, seed: 3);
        Assert.Equal(10, users.Distinct().Count());
        Assert.All(users, u => Assert.DoesNotContain(view.UserHistories[u], targets.Contains));
    }

    [Fact]
    public void Explicit_ids_are_kept_and_checked()
    {
        var view = View();
        Assert.Equal(["i19", "i03"], TargetSelector.ChooseItems(view, TargetBand.All, 5, 1, ["i19", "i03"]));
        var e = Assert.Throws<TargetSelectionException>(() => TargetSelector.ChooseItems(view, TargetBand.All, 5, 1, ["i19", "nope"]));
        Assert.Equal("target item not in the catalogue: nope", e.Message);
        Assert.Equal(["u01"], TargetSelector.ChooseUsers(view, ["i00"], 5, 1, ["u01"]));
        Assert.Throws<TargetSelectionException>(() => TargetSelector.ChooseUsers(view, ["i00"], 5, 1, ["ghost"]));
    }

    [Fact]
    public void Asking_for_more_than_the_band_holds_fails_clearly()
    {
        var e = Assert.Throws<TargetSelectionException>(() => TargetSelector.ChooseItems(View(), TargetBand.Parse("0-20"), 5, 1));
        Assert.Equal("popularity band '0-20' holds 4 item(s); 5 target items were asked for", e.Message);
    }
}
