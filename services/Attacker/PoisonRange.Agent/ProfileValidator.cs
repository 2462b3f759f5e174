namespace PoisonRange.Agent;

/// <summary>
/// The rules every strategy's output must keep; the agent checks them before anything leaves it,
/// so a faulty strategy fails loudly instead of wasting accounts on the platform.
/// </summary>
public static class ProfileValidator
{
    /// <summary>Throws <see cref="InvalidOperationException"/> naming the strategy, the profile and the broken rule.</summary>
    public static void Check(string strategy, AttackContext ctx, IReadOnlyList<FakeProfileSpec> profiles)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count > ctx.FakeUsers)
            Fail(strategy, $"made {profiles.Count} profiles for a budget of {ctx.FakeUsers} fake users");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in profiles)
        {
            if (string.IsNullOrEmpty(p.ProfileId)) Fail(strategy, "made a profile without an id");
            if (!ids.Add(p.ProfileId)) Fail(strategy, $"used profile id '{p.ProfileId}' twice");
            if (p.Actions.Count > ctx.ActionsPerUser)
                Fail(strategy, $"gave profile '{p.ProfileId}' {p.Actions.Count} actions, more than M = {ctx.ActionsPerUser}");
            var items = new HashSet<int>();
            long last = long.MinValue;
            foreach (var a in p.Actions)
            {
                if ((uint)a.Item >= (uint)ctx.View.ItemCount) Fail(strategy, $"gave profile '{p.ProfileId}' item index {a.Item}, outside the catalogue");
                if (!items.Add(a.Item)) Fail(strategy, $"repeated item '{ctx.View.ItemIds[a.Item]}' in profile '{p.ProfileId}'");
                if (a.TimestampMs <= last) Fail(strategy, $"gave profile '{p.ProfileId}' timestamps that do not increase");
                if (a.Rating is { } r && !float.IsFinite(r)) Fail(strategy, $"gave profile '{p.ProfileId}' a rating that is not a number");
                last = a.TimestampMs;
            }
        }
    }

    private static void Fail(string strategy, string what)
        => throw new InvalidOperationException($"Strategy '{strategy}' {what}.");
}
