using PoisonRange.HealthProbe;

return await Probe.RunAsync(args, Console.Out, Console.Error);
