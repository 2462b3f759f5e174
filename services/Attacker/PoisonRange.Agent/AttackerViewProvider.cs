using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PoisonRange.Client;
using PoisonRange.Data;

namespace PoisonRange.Agent;

/// <summary>The attacker's view and how it was obtained.</summary>
public sealed record AttackerViewSnapshot(InteractionDataset Dataset, AttackerViewStats Stats, DateTimeOffset CrawledUtc, bool FromCache);

/// <summary>
/// Crawls the platform (catalogue, then public histories) through the <see cref="PlatformClient"/>
/// and keeps the resulting view for the life of this instance: crawl pages count against the
/// key's limit, so later generations reuse it unless asked to refresh.
/// </summary>
public sealed partial class AttackerViewProvider(PlatformClient client, AgentOptions options, TimeProvider? timeProvider = null, ILogger<AttackerViewProvider>? logger = null) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private AttackerViewSnapshot? _cached;

    public PlatformClient Client => client;

    /// <summary>The cached view, or a new crawl when there is none or <paramref name="refresh"/> is set.</summary>
    public async Task<AttackerViewSnapshot> GetAsync(bool refresh, IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!refresh && _cached is { } cached)
            {
                progress?.Report(new AttackProgress("crawl", cached.Stats.Users, cached.Stats.Users, $"using the view crawled at {cached.CrawledUtc:O}"));
                return cached with { FromCache = true };
            }

            progress?.Report(new AttackProgress("catalogue", 0, 0, "listing the catalogue"));
            var items = await client.ListAllItemsAsync(options.CataloguePageSize, cancellationToken).ConfigureAwait(false);
            progress?.Report(new AttackProgress("catalogue", items.Count, items.Count, $"{items.Count} items"));

            var crawlProgress = progress is null ? null : new SyncProgress<CrawlProgress>(p =>
                progress.Report(new AttackProgress("crawl", p.Users, p.TotalUsers, $"{p.Pages} pages, {p.Users} users{(p.Resumptions > 0 ? $", {p.Resumptions} resumptions" : "")}")));
            var histories = await client.CrawlAsync(options.CrawlPageSize, crawlProgress, cancellationToken).ConfigureAwait(false);

            var dataset = AttackerView.FromCrawl(histories, items.Select(i => i.ItemId), new AttackerViewOptions { Name = "platform-crawl" }, out var stats);
            LogCrawled(_logger, stats.Users, stats.Items, stats.Interactions, stats.DroppedUnknownItems);
            _cached = new AttackerViewSnapshot(dataset, stats, _time.GetUtcNow(), FromCache: false);
            return _cached;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached view; the next generation crawls again.</summary>
    public void Invalidate() => Volatile.Write(ref _cached, null);

    public void Dispose() => _gate.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Attacker view crawled: {Users} users, {Items} items, {Interactions} interactions ({Dropped} outside the catalogue dropped)")]
    private static partial void LogCrawled(ILogger logger, int users, int items, long interactions, int dropped);
}
