using Spectre.Console;

namespace PoisonRange.Range.Reports;

/// <summary>Where the range writes: results to <see cref="Out"/>, progress and one-line errors to <see cref="Error"/>.</summary>
/// <param name="IsTerminal">Standard output is the console itself (not redirected): tables may use its width and colours.</param>
public sealed record ConsoleOutput(TextWriter Out, TextWriter Error, bool IsTerminal)
{
    /// <summary>A Spectre.Console console on <see cref="Out"/>: the terminal's, or a plain one 200 columns wide for logs.</summary>
    public IAnsiConsole CreateConsole()
    {
        if (IsTerminal) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Redirected output has no width; keep tables on one line per row for logs.
        console.Profile.Width = 200;
        return console;
    }
}
