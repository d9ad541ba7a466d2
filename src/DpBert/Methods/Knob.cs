using System.Globalization;

namespace DpBert.Methods;

/// <summary>The run-time knob of an adaptive method: what it is called, what it does and whether it counts layers or steps.</summary>
/// <param name="Name">Name in results and on the command line (<c>theta</c>, <c>entropy</c>, <c>patience</c>, <c>depth</c>).</param>
/// <param name="Description">What moving it does.</param>
/// <param name="WholeNumber">True when only whole numbers are allowed (patience, depth).</param>
public sealed record Knob(string Name, string Description, bool WholeNumber)
{
    /// <summary>The value as it is written in labels and tables (<c>2</c>, <c>0.35</c>).</summary>
    public string Format(double value) => value.ToString(WholeNumber ? "0" : "G4", CultureInfo.InvariantCulture);
}
