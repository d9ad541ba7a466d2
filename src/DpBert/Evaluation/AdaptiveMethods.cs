using DpBert.EarlyExit;
using DpBert.Methods;
using DpBert.Planning;

namespace DpBert.Evaluation;

/// <summary>Every adaptive method of the toolkit, by name: the full model, DPBERT, DeeBERT, PABEE and static depth.</summary>
public static class AdaptiveMethods
{
    /// <summary>The fine-tuned model at full depth (the reference).</summary>
    public static AdaptiveMethod Full => FullDepthMethod.Instance;
    /// <summary>DPBERT (knob theta).</summary>
    public static AdaptiveMethod DpBert => DpBertMethod.Instance;
    /// <summary>DeeBERT (knob entropy).</summary>
    public static AdaptiveMethod DeeBert => DeeBertMethod.Instance;
    /// <summary>PABEE (knob patience).</summary>
    public static AdaptiveMethod Pabee => PabeeMethod.Instance;
    /// <summary>Static depth (knob depth).</summary>
    public static AdaptiveMethod Static => StaticDepthMethod.Instance;

    /// <summary>The oracle plans (a bound that knows every answer; measured only when asked for).</summary>
    public static AdaptiveMethod Oracle => OracleMethod.Instance;

    /// <summary>The methods measured by default, in the order tables list them.</summary>
    public static IReadOnlyList<AdaptiveMethod> All { get; } = [Full, DpBert, DeeBert, Pabee, Static];

    /// <summary>Every method that can be named, the oracle included.</summary>
    public static IReadOnlyList<AdaptiveMethod> Known { get; } = [.. All, Oracle];

    /// <summary>The method called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No method has that name; the message lists the names.</exception>
    public static AdaptiveMethod FromName(string name) =>
        Known.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown method \"{name}\"; use {string.Join(", ", Known.Select(m => m.Name))}");
}
