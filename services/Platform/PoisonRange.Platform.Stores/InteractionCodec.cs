using System.Buffers.Binary;

namespace PoisonRange.Platform.Stores;

/// <summary>
/// Packs interactions for the Redis log: 17 bytes each, little-endian: item (int32), has-rating
/// (byte, 0 or 1), rating (float32), timestamp in ms (int64). Appending a packed batch is one
/// APPEND, so a batch is written whole or not at all.
/// </summary>
internal static class InteractionCodec
{
    public const int RecordSize = 17;

    public static byte[] Encode(IReadOnlyList<StoredInteraction> batch)
    {
        var bytes = new byte[batch.Count * RecordSize];
        for (var i = 0; i < batch.Count; i++)
        {
            var span = bytes.AsSpan(i * RecordSize, RecordSize);
            var interaction = batch[i];
            BinaryPrimitives.WriteInt32LittleEndian(span, interaction.Item);
            span[4] = interaction.Rating.HasValue ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteSingleLittleEndian(span[5..], interaction.Rating.GetValueOrDefault());
            BinaryPrimitives.WriteInt64LittleEndian(span[9..], interaction.TimestampMs);
        }
        return bytes;
    }

    public static StoredInteraction[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % RecordSize != 0)
            throw new InvalidDataException($"An interaction log of {bytes.Length} bytes is not a whole number of {RecordSize}-byte records.");
        var result = new StoredInteraction[bytes.Length / RecordSize];
        for (var i = 0; i < result.Length; i++)
        {
            var span = bytes.Slice(i * RecordSize, RecordSize);
            result[i] = new StoredInteraction(
                BinaryPrimitives.ReadInt32LittleEndian(span),
                span[4] != 0 ? BinaryPrimitives.ReadSingleLittleEndian(span[5..]) : null,
                BinaryPrimitives.ReadInt64LittleEndian(span[9..]));
        }
        return result;
    }
}
