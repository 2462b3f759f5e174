using PoisonRange.Range.Cli;

return await RangeCli.RunAsync(args);
