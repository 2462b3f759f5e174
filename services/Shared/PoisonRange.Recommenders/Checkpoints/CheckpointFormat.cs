using System.Runtime.InteropServices;
using System.Text;

namespace PoisonRange.Recommenders.Checkpoints;

/// <summary>
/// The binary checkpoint layout shared by every model (all little-endian):
/// <code>
/// "PRCK"            4 bytes magic
/// int32             container format version (<see cref="FormatVersion"/>)
/// string            kind ("bprmf", ...)
/// int32             body version of that kind
/// uint64            seed
/// int32 n, n × (string name, string value)   hyper-parameters
/// ...               the kind's body: int32 dimensions, float arrays as int32 length + raw floats
/// "KCRP"            4 bytes end marker, catches truncated files
/// </code>
/// Strings are UTF-8 with a 7-bit encoded length prefix (BinaryWriter's encoding).
/// </summary>
public static class CheckpointFormat
{
    public const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "PRCK"u8;
    private static ReadOnlySpan<byte> EndMarker => "KCRP"u8;

    /// <summary>Largest array a checkpoint may declare (guards against reading garbage as a length).</summary>
    private const int MaxArrayLength = 1 << 30;

    public static BinaryWriter CreateWriter(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are written on little-endian machines only.");
        return new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
    }

    public static BinaryReader CreateReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are read on little-endian machines only.");
        return new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
    }

    public static void WriteHeader(BinaryWriter writer, CheckpointHeader header)
    {
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(header.Kind);
        writer.Write(header.BodyVersion);
        writer.Write(header.Seed);
        writer.Write(header.HyperParameters.Count);
        foreach (var (name, value) in header.HyperParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.Write(name);
            writer.Write(value);
        }
    }

    public static CheckpointHeader ReadHeader(BinaryReader reader)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(reader, magic);
        if (!magic.SequenceEqual(Magic))
            throw new InvalidDataException("Not a PoisonRange recommender checkpoint (bad magic bytes).");
        int format = reader.ReadInt32();
        if (format != FormatVersion)
            throw new InvalidDataException($"Unsupported checkpoint format version {format}; this build reads version {FormatVersion}.");
        string kind = reader.ReadString();
        int bodyVersion = reader.ReadInt32();
        ulong seed = reader.ReadUInt64();
        int count = reader.ReadInt32();
        if (count is < 0 or > 4096)
            throw new InvalidDataException($"Corrupt checkpoint: {count} hyper-parameters.");
        var hyperParameters = new Dictionary<string, string>(count, StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            hyperParameters[name] = reader.ReadString();
        }
        return new CheckpointHeader(kind, bodyVersion, seed, hyperParameters);
    }

    public static void WriteEnd(BinaryWriter writer)
    {
        writer.Write(EndMarker);
        writer.Flush();
    }

    public static void ReadEnd(BinaryReader reader)
    {
        Span<byte> marker = stackalloc byte[4];
        ReadExactly(reader, marker);
        if (!marker.SequenceEqual(EndMarker))
            throw new InvalidDataException("Corrupt checkpoint: the end marker is missing.");
    }

    /// <summary>Reads the header and checks that it was written by <paramref name="expectedKind"/> with a body version this build reads.</summary>
    public static CheckpointHeader ReadHeader(BinaryReader reader, string expectedKind, int maxBodyVersion)
    {
        var header = ReadHeader(reader);
        if (!string.Equals(header.Kind, expectedKind, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"The checkpoint holds a '{header.Kind}' model, not '{expectedKind}'.");
        if (header.BodyVersion < 1 || header.BodyVersion > maxBodyVersion)
            throw new InvalidDataException($"Unsupported '{header.Kind}' checkpoint body version {header.BodyVersion}; this build reads 1..{maxBodyVersion}.");
        return header;
    }

    public static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static float[] ReadFloats(BinaryReader reader, int expectedLength)
    {
        int length = reader.ReadInt32();
        if (length != expectedLength)
            throw new InvalidDataException($"Corrupt checkpoint: an array has {length} values where {expectedLength} were expected.");
        if (length is < 0 or > MaxArrayLength)
            throw new InvalidDataException($"Corrupt checkpoint: array length {length}.");
        var values = new float[length];
        ReadExactly(reader, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    public static void WriteInts(BinaryWriter writer, ReadOnlySpan<int> values)
    {
        writer.Write(values.Length);
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    /// <summary>Reads an int array of the expected length (<paramref name="name"/> names it in errors).</summary>
    public static int[] ReadInts(BinaryReader reader, int expectedLength, string name = "an integer array")
    {
        int length = reader.ReadInt32();
        if (length != expectedLength || length is < 0 or > MaxArrayLength)
            throw new InvalidDataException($"Corrupt checkpoint: {name} has {length} values where {expectedLength} were expected.");
        var values = new int[length];
        ReadExactly(reader, MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>Reads an int array of the expected length whose values lie in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public static int[] ReadInts(BinaryReader reader, int expectedLength, int min, int max, string name)
    {
        var values = ReadInts(reader, expectedLength, name);
        foreach (var value in values)
            if (value < min || value >= max)
                throw new InvalidDataException($"Corrupt checkpoint: {name} holds {value}, outside {min}..{max - 1}.");
        return values;
    }

    /// <summary>Runs a body reader, reporting a stream that ends early as a corrupt checkpoint.</summary>
    public static T ReadBody<T>(Func<T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return read();
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Corrupt checkpoint: the stream ended early.", e);
        }
    }

    /// <summary>
    /// The options a checkpoint was saved with (its header's hyper-parameters bound onto the
    /// defaults), for the serving settings that must match the saved model; a header that does not
    /// bind is a corrupt checkpoint.
    /// </summary>
    internal static TOptions SavedOptions<TOptions>(string kind, TOptions defaults, CheckpointHeader header, string[] excluded)
        where TOptions : class
    {
        try
        {
            return OptionsBinder.Bind(kind, defaults, header.HyperParameters, excluded);
        }
        catch (HyperParameterException e)
        {
            throw new InvalidDataException($"Corrupt checkpoint: its hyper-parameters do not bind. {e.Message}", e);
        }
    }

    /// <summary>Reads a non-negative dimension no larger than <paramref name="max"/>.</summary>
    public static int ReadDimension(BinaryReader reader, string name, int max = MaxArrayLength)
    {
        int value = reader.ReadInt32();
        if (value < 0 || value > max)
            throw new InvalidDataException($"Corrupt checkpoint: {name} = {value}.");
        return value;
    }

    private static void ReadExactly(BinaryReader reader, Span<byte> buffer)
    {
        try
        {
            reader.BaseStream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Corrupt checkpoint: the stream ended early.", e);
        }
    }
}
