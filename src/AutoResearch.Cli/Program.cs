using AutoResearch.Cli;

return await Entry.RunAsync(args);
