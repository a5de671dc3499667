using Faas.Runtime.OneShot;

return OneShotRunner.Run(args, Console.OpenStandardOutput(), Console.Error);
