using DpBert.Interactive;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace DpBert.Interactive.KernelExtension;

/// <summary>
/// <see cref="LiveOutput"/> in the kernel: displays through the running cell's <see cref="KernelInvocationContext"/> and
/// updates through the same <see cref="DisplayedValue"/>, so the update carries the display id of the output it
/// replaces. (The kernel's own <c>display(x)</c> returns a second DisplayedValue with a fresh id; its
/// <c>update_display_data</c> then names an output Jupyter never saw, and Jupyter drops it.)
/// </summary>
public static class KernelLiveOutput
{
    /// <summary>Displays <paramref name="view"/> as HTML in the running cell and returns the action that replaces it in place.</summary>
    /// <exception cref="InvalidOperationException">Called outside a running cell.</exception>
    public static Action<object> Show(object view)
    {
        var context = KernelInvocationContext.Current
            ?? throw new InvalidOperationException("LiveOutput.Show needs a running notebook cell (no KernelInvocationContext)");
        var displayed = context.Display(view, HtmlFormatter.MimeType, PlainTextFormatter.MimeType);
        return displayed.Update;
    }
}
