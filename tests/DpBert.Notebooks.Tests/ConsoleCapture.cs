using System.Text;

namespace DpBert.Notebooks.Tests;

/// <summary>Sends Console.Out and Console.Error to a cell's stream outputs while a cell runs.</summary>
internal sealed class ConsoleCapture : IDisposable
{
    private readonly TextWriter _out = Console.Out, _error = Console.Error;

    public ConsoleCapture(CellOutputs cell)
    {
        Console.SetOut(new StreamWriter(cell, "stdout"));
        Console.SetError(new StreamWriter(cell, "stderr"));
    }

    public void Dispose()
    {
        Console.SetOut(_out);
        Console.SetError(_error);
    }

    private sealed class StreamWriter(CellOutputs cell, string name) : TextWriter
    {
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => cell.Stream(name, value.ToString());
        public override void Write(string? value) => cell.Stream(name, value ?? "");
        public override void WriteLine(string? value) => cell.Stream(name, (value ?? "") + "\n");
    }
}
