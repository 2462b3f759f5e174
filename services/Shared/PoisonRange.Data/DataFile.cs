using System.IO.Compression;
using System.Text;

namespace PoisonRange.Data;

/// <summary>Opens data files for reading, decompressing gzip transparently (by magic bytes).</summary>
internal static class DataFile
{
    private const int BufferSize = 1 << 16;

    public static bool IsGzip(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        Span<byte> magic = stackalloc byte[2];
        return fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    public static TextReader OpenText(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Dataset file not found: {path}", path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int n = fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            fs.Seek(0, SeekOrigin.Begin);
            Stream stream = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
                ? new BufferedStream(new GZipStream(fs, CompressionMode.Decompress, leaveOpen: false), BufferSize)
                : fs;
            return new StreamReader(stream, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, BufferSize);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>The file name without directory and without a trailing <c>.gz</c>.</summary>
    public static string BaseName(string path)
    {
        var name = Path.GetFileName(path);
        return name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name;
    }
}

/// <summary>
/// Reads lines as spans over a reusable buffer (no string per line). A returned line is
/// valid until the next call. Trailing <c>\r</c> is removed, so CRLF files read like LF files.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly TextReader _reader;
    private char[] _buffer = new char[1 << 16];
    private int _start;
    private int _end;
    private bool _eof;

    public LineReader(string path)
    {
        Path = path;
        _reader = DataFile.OpenText(path);
    }

    public string Path { get; }

    /// <summary>1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<char> line)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf('\n');
            if (newline >= 0)
            {
                line = TrimCr(_buffer.AsSpan(_start, newline));
                _start += newline + 1;
                LineNumber++;
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = TrimCr(_buffer.AsSpan(_start, _end - _start));
                    _start = _end;
                    LineNumber++;
                    return true;
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    /// <summary>Reads the next line that is not blank (whitespace only).</summary>
    public bool TryReadNonEmptyLine(out ReadOnlySpan<char> line)
    {
        while (TryReadLine(out line))
            if (!line.IsWhiteSpace())
                return true;
        return false;
    }

    private void Fill()
    {
        int remaining = _end - _start;
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, remaining);
            _start = 0;
            _end = remaining;
        }
        if (_end == _buffer.Length)
            Array.Resize(ref _buffer, _buffer.Length * 2);
        int read = _reader.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0) _eof = true;
        else _end += read;
    }

    private static ReadOnlySpan<char> TrimCr(ReadOnlySpan<char> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    public void Dispose() => _reader.Dispose();
}
