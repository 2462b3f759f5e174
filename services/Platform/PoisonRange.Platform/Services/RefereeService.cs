using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>
/// The operator's API: configure, retrain, evaluate, status, ground truth. Each handler maps in,
/// calls one engine method and maps the engine's record to the reply; refusals become status
/// codes in <see cref="RefusalInterceptor"/>.
/// </summary>
internal sealed class RefereeService(PlatformEngine engine) : Referee.RefereeBase
{
    public override async Task<ConfigureReply> Configure(Scenario request, ServerCallContext context)
    {
        var configured = await engine.ConfigureAsync(request, context.CancellationToken);
        return new ConfigureReply
        {
            ScenarioName = configured.Name,
            Users = configured.Users,
            Items = configured.Items,
            Interactions = configured.Interactions,
            ModelVersion = configured.ModelVersion,
            TrainSeconds = configured.TrainSeconds,
        };
    }

    public override async Task<RetrainReply> Retrain(RetrainRequest request, ServerCallContext context)
    {
        var serving = await engine.RetrainAsync(context.CancellationToken);
        return new RetrainReply { ModelVersion = serving.Version, TrainSeconds = serving.TrainSeconds };
    }

    public override Task<EvaluateReply> Evaluate(EvaluateRequest request, ServerCallContext context)
    {
        var evaluation = engine.Evaluate(request.TargetItems, request.TargetUsers, request.K);
        var reply = new EvaluateReply
        {
            DisplayRate = evaluation.DisplayRate,
            MeanItemHitRatio = evaluation.MeanItemHitRatio,
            TargetUsersEvaluated = evaluation.TargetUsersEvaluated,
            NormalUsers = evaluation.NormalUsers,
            ModelVersion = evaluation.ModelVersion,
            ExcludedItems = { evaluation.ExcludedItems },
        };
        foreach (var item in evaluation.Items)
            reply.Items.Add(new ItemHitRatio { ItemId = item.ItemId, HitRatio = item.HitRatio, Population = item.Population });
        return Task.FromResult(reply);
    }

    public override async Task<StatusReply> Status(StatusRequest request, ServerCallContext context)
    {
        var status = await engine.GetStatusAsync(context.CancellationToken);
        var reply = new StatusReply { Store = status.Store, Retraining = status.Retraining };
        if (status.Scenario is not { } s) return reply;
        reply.ScenarioName = s.Name;
        reply.Victim = s.Victim;
        reply.ModelVersion = s.ModelVersion;
        reply.Users = s.Users;
        reply.Items = s.Items;
        reply.Interactions = s.Interactions;
        reply.Accounts = s.Accounts;
        reply.InteractionsSinceRetrain = s.InteractionsSinceRetrain;
        reply.LastTrainedUnixMs = s.LastTrainedUnixMs;
        reply.LastTrainSeconds = s.LastTrainSeconds;
        reply.Retrains = s.Retrains;
        return reply;
    }

    public override async Task<ListAccountsReply> ListAccounts(ListAccountsRequest request, ServerCallContext context)
    {
        var accounts = await engine.ListAccountsAsync(request.OwnerKey, context.CancellationToken);
        var reply = new ListAccountsReply();
        foreach (var a in accounts)
            reply.Accounts.Add(new AccountInfo
            {
                AccountId = a.AccountId,
                OwnerKey = a.OwnerKey,
                Fake = a.Fake,
                Actions = a.Actions,
                RegisteredUnixMs = a.RegisteredUnixMs,
                Flagged = a.Flagged,
            });
        return reply;
    }
}
