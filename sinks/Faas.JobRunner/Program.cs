using Faas.JobRunner;

return JobRun.Run(args, Console.OpenStandardOutput(), Console.Error);
