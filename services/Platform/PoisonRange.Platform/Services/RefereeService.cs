using Grpc.Core;
using PoisonRange.Contracts.Platform.V1;
using PoisonRange.Data;
using PoisonRange.Platform.Engine;

namespace PoisonRange.Platform.Services;

/// <summary>The operator's API: configure, retrain, evaluate, status, ground truth.</summary>
internal sealed class RefereeService(PlatformEngine engine) : Referee.RefereeBase
{
    public override async Task<ConfigureReply> Configure(Scenario request, ServerCallContext context)
    {
        try
        {
            return await engine.ConfigureAsync(request, context.CancellationToken);
        }
        catch (ScenarioException ex)
        {
            RpcErrors.InvalidArgument(ex.Message);
            throw;
        }
        catch (Exception ex) when (ex is DatasetFormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            RpcErrors.InvalidArgument(ex.Message);
            throw;
        }
    }

    public override async Task<RetrainReply> Retrain(RetrainRequest request, ServerCallContext context)
    {
        if (engine.Current is null) RpcErrors.FailedPrecondition("No scenario is configured.");
        var serving = await engine.RetrainAsync(context.CancellationToken);
        return new RetrainReply { ModelVersion = serving.Version, TrainSeconds = serving.TrainSeconds };
    }

    public override Task<EvaluateReply> Evaluate(EvaluateRequest request, ServerCallContext context)
    {
        if (engine.Current is null) RpcErrors.FailedPrecondition("No scenario is configured.");
        try
        {
            return Task.FromResult(engine.Evaluate(request.TargetItems, request.TargetUsers, request.K));
        }
        catch (KeyNotFoundException ex)
        {
            RpcErrors.NotFound(ex.Message);
            throw;
        }
        catch (ArgumentException ex)
        {
            RpcErrors.InvalidArgument(ex.Message);
            throw;
        }
    }

    public override async Task<StatusReply> Status(StatusRequest request, ServerCallContext context)
    {
        var reply = new StatusReply { Store = engine.Store.Kind, Retraining = engine.IsTraining };
        var runtime = engine.Current;
        if (runtime is null) return reply;
        var serving = runtime.Serving;
        var count = await engine.Store.GetInteractionCountAsync(context.CancellationToken);
        var accounts = await engine.Store.ListAccountsAsync(null, context.CancellationToken);
        reply.ScenarioName = runtime.Scenario.Name;
        reply.Victim = runtime.Scenario.Victim.Kind;
        reply.ModelVersion = serving.Version;
        reply.Users = runtime.Base.UserCount;
        reply.Items = runtime.Base.ItemCount;
        reply.Interactions = runtime.Base.InteractionCount + count;
        reply.Accounts = accounts.Count;
        reply.InteractionsSinceRetrain = count - serving.InteractionCount;
        reply.LastTrainedUnixMs = serving.TrainedAt.ToUnixTimeMilliseconds();
        reply.LastTrainSeconds = serving.TrainSeconds;
        reply.Retrains = runtime.Retrains;
        return reply;
    }

    public override async Task<ListAccountsReply> ListAccounts(ListAccountsRequest request, ServerCallContext context)
    {
        var runtime = engine.Current;
        if (runtime is null) RpcErrors.FailedPrecondition("No scenario is configured.");
        var accounts = await engine.Store.ListAccountsAsync(string.IsNullOrEmpty(request.OwnerKey) ? null : request.OwnerKey, context.CancellationToken);
        var reply = new ListAccountsReply();
        foreach (var a in accounts)
            reply.Accounts.Add(new AccountInfo
            {
                AccountId = a.AccountId,
                OwnerKey = a.OwnerKey,
                Fake = runtime.AttackerKeys.Contains(a.OwnerKey),
                Actions = a.Actions,
                RegisteredUnixMs = a.RegisteredUnixMs,
                Flagged = a.Flagged,
            });
        return reply;
    }
}
