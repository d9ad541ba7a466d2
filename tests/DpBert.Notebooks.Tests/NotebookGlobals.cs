namespace DpBert.Notebooks.Tests;

/// <summary>
/// The members a C# notebook cell sees beyond its own code, as in the .NET Interactive kernel:
/// <c>display(value)</c> shows a value and returns a handle whose <c>Update</c> replaces it.
/// Public because Roslyn scripting binds cells against it.
/// </summary>
public sealed class NotebookGlobals
{
    private CellOutputs _cell = new();

    internal void StartCell(CellOutputs cell) => _cell = cell;

    /// <summary>Shows <paramref name="value"/> below the running cell.</summary>
#pragma warning disable IDE1006 // the kernel's name, lower case
    public DisplayHandle display(object? value) => new(_cell, _cell.Display(MimeBundle.Of(value)));
#pragma warning restore IDE1006
}

/// <summary>A shown value that can be replaced in place (live progress).</summary>
public sealed class DisplayHandle
{
    private readonly CellOutputs _cell;
    private readonly int _index;

    internal DisplayHandle(CellOutputs cell, int index)
    {
        _cell = cell;
        _index = index;
    }

    /// <summary>Replaces the shown value with <paramref name="value"/>.</summary>
    public void Update(object? value) => _cell.Update(_index, MimeBundle.Of(value));
}
