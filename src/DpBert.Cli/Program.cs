// Placeholder entry point so the solution builds; the commands (download, finetune, plan,
// evaluate, bench) replace it.
Console.Error.WriteLine("dpbert: no commands are implemented yet");
return 1;
