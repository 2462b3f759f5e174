using Grpc.Core;
using PoisonRange.Client;
using PoisonRange.Range.Targets;

namespace PoisonRange.Range.Exercise;

/// <summary>The exercise's targets, chosen from the public view the range crawls with its observer key.</summary>
public sealed partial class ExerciseRunner
{
    private async Task<(IReadOnlyList<string> Items, IReadOnlyList<string> Users)> ChooseTargetsAsync(ulong seed, string scope, CancellationToken ct)
    {
        var t = _scenario.Targets;
        if (!TargetBand.TryParse(t.Band, out var band, out var problem)) throw new RangeException($"targets.band {problem}");
        // Explicit ids are checked against the catalogue too, so the view is always read.
        var view = await ReadPublicViewAsync(scope, ct).ConfigureAwait(false);
        try
        {
            var items = TargetSelector.ChooseItems(view, band, t.Items, seed, t.ItemIds);
            var users = TargetSelector.ChooseUsers(view, items, t.Users, seed, t.UserIds);
            return (items, users);
        }
        catch (TargetSelectionException e)
        {
            throw new RangeException(e.Message, e);
        }
    }

    private async Task<CatalogueView> ReadPublicViewAsync(string scope, CancellationToken ct)
    {
        int pageSize = _scenario.Platform.Limits.MaxPageSize > 0 ? Math.Min(_scenario.Platform.Limits.MaxPageSize, 1000) : 1000;
        using var client = _services.CreateObserverClient();
        try
        {
            var items = await client.ListAllItemsAsync(pageSize, ct).ConfigureAwait(false);
            var progress = new Progress<CrawlProgress>(p => _observer.PhaseProgress(scope, "targets", p.Users, p.TotalUsers, $"{p.Pages} pages"));
            var users = await client.CrawlAsync(pageSize, progress, ct).ConfigureAwait(false);
            var popularity = new Dictionary<string, int>(StringComparer.Ordinal);
            var histories = new Dictionary<string, IReadOnlyCollection<string>>(StringComparer.Ordinal);
            foreach (var u in users)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var x in u.Interactions)
                {
                    popularity[x.ItemId] = popularity.GetValueOrDefault(x.ItemId) + 1;
                    seen.Add(x.ItemId);
                }
                histories[u.UserId] = seen;
            }
            if (_scenario.Platform.Knowledge.UserFraction is > 0 and < 1 || _scenario.Platform.Knowledge.InteractionFraction is > 0 and < 1)
                Warn("targets were chosen from the public view, which the knowledge policy limits to part of the data");
            return new CatalogueView(items.Select(i => i.ItemId).ToList(), popularity, histories);
        }
        catch (PlatformLimitException e)
        {
            throw new RangeException($"the platform refused the range's crawl ({e.Limit}); raise platform.limits.crawlPagesPerKey or give targets.itemIds and targets.userIds", e);
        }
        catch (PlatformUnavailableException e)
        {
            throw new RangeException($"cannot reach the platform at {_services.Endpoints.Platform}: {RangeServices.OneLine(e.InnerException?.Message ?? e.Message)}", e);
        }
        catch (RpcException e) when (!(e.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested))
        {
            throw _services.Describe("platform", "Crawl", e);
        }
    }
}
