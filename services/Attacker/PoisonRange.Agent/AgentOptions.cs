namespace PoisonRange.Agent;

/// <summary>Agent settings, bound from the <c>Agent</c> configuration section.</summary>
public sealed class AgentOptions
{
    public const string SectionName = "Agent";

    /// <summary>Users per crawl page.</summary>
    public int CrawlPageSize { get; set; } = 500;

    /// <summary>Items per ListItems page.</summary>
    public int CataloguePageSize { get; set; } = 1000;
}
