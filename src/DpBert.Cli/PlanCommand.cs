using DpBert.Bert;
using System.CommandLine;
using System.Globalization;
using DpBert.Checkpoints;
using DpBert.Glue;
using DpBert.Planning;
using DpBert.Training;

namespace DpBert.Cli;

/// <summary>
/// <c>dpbert plan --task sst2 --model &lt;fine-tuned folder&gt;</c>: DPBERT's second stage. Trains a planner
/// jointly with the backbone and writes a DPBERT folder (default <c>&lt;model&gt;/dpbert</c>).
/// </summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var d = new PlannerTrainingOptions();
        var task = new Option<string>("--task") { Description = "GLUE task the model was fine-tuned on.", Required = true };
        var model = new Option<string>("--model") { Description = "Folder (or Hugging Face model id) of a model fine-tuned at full depth on the task (stage one: dpbert finetune).", Required = true };
        var output = new Option<string?>("--output") { Description = "Output folder (default: <model>/dpbert)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "GLUE folder; default: $GLUE_DIR, then data/glue." };
        var rho = new Option<double>("--rho") { Description = "Target fraction of the planned layers to run, in (0, 1].", DefaultValueFactory = _ => d.Rho };
        var lambda = new Option<double>("--lambda") { Description = "Weight of the budget penalty (mean gate - rho)^2 (with --gate-estimator reinforce: mean probability - rho).", DefaultValueFactory = _ => d.Lambda };
        var k = new Option<int>("--always-run-layers") { Description = "Layers that always run before the planner decides (k).", DefaultValueFactory = _ => d.AlwaysRunLayers };
        var distill = new Option<double>("--distillation-weight") { Description = "Weight of distillation from the full-depth model, in [0, 1] (0 = off).", DefaultValueFactory = _ => d.DistillationWeight };
        var tauStart = new Option<double>("--temperature-start") { Description = "Gumbel-sigmoid temperature at the first step (straight-through gates only).", DefaultValueFactory = _ => d.TemperatureStart };
        var tauEnd = new Option<double>("--temperature-end") { Description = "Temperature at the last step (annealed geometrically; straight-through gates only).", DefaultValueFactory = _ => d.TemperatureEnd };
        var backboneLr = new Option<double>("--backbone-learning-rate") { Description = "Peak learning rate of the backbone.", DefaultValueFactory = _ => d.BackboneLearningRate };
        var plannerLr = new Option<double>("--planner-learning-rate") { Description = "Peak learning rate of the planner.", DefaultValueFactory = _ => d.PlannerLearningRate };
        var epochs = new Option<double>("--num-train-epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => d.NumTrainEpochs };
        var maxSteps = new Option<int>("--max-steps") { Description = "Optimizer steps (overrides epochs when positive).", DefaultValueFactory = _ => d.MaxSteps };
        var batch = new Option<int>("--per-device-train-batch-size") { Description = "Inputs per step.", DefaultValueFactory = _ => d.BatchSize };
        var maxSeq = new Option<int>("--max-seq-length") { Description = "Truncation length in tokens.", DefaultValueFactory = _ => d.MaxSeqLength };
        var theta = new Option<double>("--theta") { Description = "Threshold of the evaluation after each epoch, in (0, 1).", DefaultValueFactory = _ => d.EvalTheta };
        var seed = new Option<int>("--seed") { Description = "Seed of shuffling, dropout and gate noise.", DefaultValueFactory = _ => d.Seed };
        var maxTrain = new Option<int?>("--max-train-samples") { Description = "Use only the first N training rows." };
        var maxEval = new Option<int?>("--max-eval-samples") { Description = "Evaluate on the first N rows only." };
        var oracleWeight = new Option<double>("--oracle-weight") { Description = "Weight of the oracle term (the planner learns each training input's cheapest plan that keeps the stage-one model's prediction; 0 = off).", DefaultValueFactory = _ => d.OracleWeight };
        var oraclePlans = new Option<string?>("--oracle-plans") { Description = "Oracle plans of the training rows already searched (a file --oracle-weight wrote, or dpbert oracle --split train); default: search them." };
        var oracleMargin = new Option<double>("--oracle-margin") { Description = "Logit margin of the stage-one model's class that a smaller plan must keep to be an input's oracle plan (0 = the same class).", DefaultValueFactory = _ => d.OracleMargin };
        var plannerInput = new Option<string>("--planner-input") { Description = "What the planner reads after the always-run layers: cls ([CLS]) or mean (the mean of the real tokens).", DefaultValueFactory = _ => TokenPoolings.Name(d.Input) };
        plannerInput.AcceptOnlyFromAmong("cls", "mean");
        var estimator = new Option<string>("--gate-estimator") { Description = "How the gates are trained: straight-through (Gumbel-sigmoid) or reinforce (policy gradient with a reward per input).", DefaultValueFactory = _ => GateEstimators.Name(d.Estimator) };
        estimator.AcceptOnlyFromAmong("straight-through", "reinforce");
        var layerCost = new Option<double>("--layer-cost") { Description = "Cost per input of running all planned layers, added to that input's loss (0 = off; scales with the fraction it runs).", DefaultValueFactory = _ => d.LayerCost };
        var depthHeads = new Option<bool>("--depth-heads") { Description = "A classifier per plan length (copies of the model's head at the start, trained with the planner) instead of one head for every plan." };
        var heldOut = new HeldOutFlags("Set N training rows aside (fixed seed) and evaluate on them instead of the dev set.");
        var command = new Command("plan", "Train DPBERT's planner jointly with a fine-tuned backbone (stage two).")
        {
            task, model, output, dataDir, rho, lambda, k, distill, tauStart, tauEnd, backboneLr, plannerLr, epochs, maxSteps, batch, maxSeq, theta, seed, maxTrain, maxEval,
            oracleWeight, oraclePlans, oracleMargin, plannerInput, estimator, layerCost, depthHeads,
        };
        var engine = new EngineFlags();
        engine.AddTo(command);
        heldOut.AddTo(command);
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var glueTask = GlueTask.FromName(parse.GetValue(task)!);
            var options = new PlannerTrainingOptions
            {
                Rho = parse.GetValue(rho), Lambda = parse.GetValue(lambda), AlwaysRunLayers = parse.GetValue(k), DistillationWeight = parse.GetValue(distill),
                TemperatureStart = parse.GetValue(tauStart), TemperatureEnd = parse.GetValue(tauEnd), BackboneLearningRate = parse.GetValue(backboneLr),
                PlannerLearningRate = parse.GetValue(plannerLr), NumTrainEpochs = parse.GetValue(epochs), MaxSteps = parse.GetValue(maxSteps),
                BatchSize = parse.GetValue(batch), MaxSeqLength = parse.GetValue(maxSeq), EvalTheta = parse.GetValue(theta), Seed = parse.GetValue(seed),
                OracleWeight = parse.GetValue(oracleWeight), OracleMargin = parse.GetValue(oracleMargin),
                Input = TokenPoolings.Parse(parse.GetValue(plannerInput)!), Estimator = GateEstimators.Parse(parse.GetValue(estimator)!), LayerCost = parse.GetValue(layerCost),
                DepthHeads = parse.GetValue(depthHeads),
            };
            options.Validate();
            if (parse.GetValue(oraclePlans) is { } given && !(options.OracleWeight > 0))
                throw new CliInputException($"--oracle-plans {given}: the plans are read only for the oracle term; give --oracle-weight W > 0 as well");
            var (torchSharp, device) = engine.Read(parse);
            if (torchSharp) RefuseOnTorchSharp(options);
            string modelDir = parse.GetValue(model)!;
            string outputDir = OutputPaths.Folder(parse.GetValue(output) ?? Path.Combine(modelDir, "dpbert"), "--output");
            OutputPaths.NotTheModel(outputDir, modelDir);
            var loaded = ModelFolder.LoadSequenceClassifier(modelDir);
            GlueSets.RequireFits(glueTask, loaded.Config, modelDir);
            var data = GlueSets.Load(glueTask, loaded.Tokenizer, parse.GetValue(dataDir), options.MaxSeqLength, parse.GetValue(maxTrain), parse.GetValue(maxEval),
                heldOut: heldOut.Read(parse));
            stderr.WriteLine($"{glueTask.Name}: {data.Train.Count:N0} training rows, {data.Eval.Count:N0} evaluation rows ({data.EvalSplit}); backbone {modelDir} ({loaded.Config.NumHiddenLayers} layers)");
            OraclePlans? oracle = null;
            if (options.OracleWeight > 0)
            {
                var ids = Enumerable.Range(0, data.Train.Count).Select(i => data.Train.TokenIds(i).ToArray()).ToList();
                if (parse.GetValue(oraclePlans) is { } file)
                {
                    var known = OracleMethod.ReadPlans(file, loaded.Config.NumHiddenLayers);
                    var plans = ids.Select((row, i) => known.TryGetValue(KnownPlansClassifier.Key(row), out var p) ? p
                        : throw new CliInputException($"{file}: no plan for training row {i} (search them with the same --max-train-samples, --held-out, --held-out-rows and --max-seq-length)")).ToList();
                    oracle = new OraclePlans(plans, options.AlwaysRunLayers, 0.1, options.OracleMargin);
                }
                else
                {
                    var searched = new ProgressLine(stderr, data.Train.Count, "oracle plans searched");
                    try { oracle = OraclePlans.Search(loaded.Model, data.Train, options.AlwaysRunLayers, options.EvalBatchSize, progress: searched, minMargin: options.OracleMargin); }
                    finally { searched.Finish(); }
                    Directory.CreateDirectory(outputDir);
                    string written = Path.Combine(outputDir, "oracle_train_plans.jsonl");
                    OracleMethod.WritePlans(written, ids, oracle.Plans);
                    stderr.WriteLine($"oracle plans of the training rows written to {written} (reuse them with --oracle-plans)");
                }
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"oracle plans of the training set: {oracle.MeanLayers:F2} layers on average"));
            }
            var trainer = new PlannerTrainer(loaded.Model, loaded.Tokenizer, options) { OracleTargets = oracle };
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Counted.Of(trainer.TotalSteps(data.Train.Count), "step")}; {GateEstimators.Name(options.Estimator)} gates, rho {options.Rho}, lambda {options.Lambda}, layer cost {options.LayerCost}, k {options.AlwaysRunLayers}, distillation {options.DistillationWeight}{(options.DepthHeads ? ", a head per plan length" : "")}; output in {outputDir}"));
            if (!torchSharp && (options.DistillationWeight > 0 || options.Estimator == GateEstimator.Reinforce))
                stderr.WriteLine($"computing the full-depth model's logits on the training set ({(options.DistillationWeight > 0 ? "distillation targets" : "the policy gradient's baseline")})...");
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); stderr.WriteLine("\nstopping after this step and saving the planner..."); };
            Console.CancelKeyPress += onCancel;
            var printer = new TrainingProgressPrinter(stderr);
            PlannerTrainingResult result;
            try
            {
                MetricFunction metrics = (set, p) => FinetuneCommand.Metrics(glueTask, data.EvalSplit, set, p);
                result = torchSharp
                    ? EngineFlags.TorchSharp<EngineFlags.Plan>("Plan")(loaded.Model, loaded.Tokenizer, options, data.Train, data.Eval, metrics, outputDir, device, printer, cancel.Token)
                    : trainer.Train(data.Train, data.Eval, metrics, outputDir, printer, cancel.Token);
            }
            finally { Console.CancelKeyPress -= onCancel; printer.EndBar(); }
            var c = CultureInfo.InvariantCulture;
            stdout.WriteLine();
            bool stopped = cancel.IsCancellationRequested;
            stdout.WriteLine($"{glueTask.Name} planner {(stopped ? "stopped" : "trained")}: {Counted.Of(result.Steps, "step")}, training time {result.TrainingTime:hh\\:mm\\:ss}");
            if (result.FinalMetrics is { } m)
                stdout.WriteLine($"{data.EvalSplit} at theta {options.EvalTheta.ToString(c)}: {string.Join("  ", m.Select(kv => $"{kv.Key}={kv.Value.ToString("F4", c)}"))}");
            stdout.WriteLine($"dpbert model: {result.OutputDir}");
            return stopped ? CliApp.Interrupted : 0;
        });
        return command;
    }

    // The TorchSharp engine trains planners with straight-through gates, the budget penalty and the model's one head only: refuse the
    // rest before any work (the oracle search, the device copy), naming the option.
    private static void RefuseOnTorchSharp(PlannerTrainingOptions options)
    {
        string? option = options.Estimator != GateEstimator.StraightThrough ? "--gate-estimator reinforce"
            : options.LayerCost > 0 ? "--layer-cost"
            : options.OracleWeight > 0 ? "--oracle-weight"
            : options.DepthHeads ? "--depth-heads"
            : null;
        if (option is not null) throw new CliInputException($"{option}: the TorchSharp engine does not train it; use the core engine (without --engine torchsharp)");
    }
}
