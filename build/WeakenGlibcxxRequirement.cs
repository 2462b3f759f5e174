using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Sets VER_FLG_WEAK on one version requirement (e.g. GLIBCXX_3.4.32) of libLibTorchSharp.so when the
/// system libstdc++ lacks that version. ELF64 little-endian only; any other layout is left untouched.
/// </summary>
public sealed class PoisonRangeWeakenGlibcxxRequirement : Task
{
    [Required] public string[] Directories { get; set; } = Array.Empty<string>();
    [Required] public string VersionName { get; set; } = "";

    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (SystemHasVersion())
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ defines {VersionName}; TorchSharp native left unchanged.");
            return true;
        }
        foreach (var dir in Directories)
        {
            if (string.IsNullOrEmpty(dir)) continue;
            var path = Path.Combine(dir, "libLibTorchSharp.so");
            if (!File.Exists(path)) continue;
            try
            {
                var result = Patch(path);
                Log.LogMessage(MessageImportance.Normal, $"{path}: {result}");
            }
            catch (Exception ex)
            {
                Log.LogWarning($"Could not patch {path}: {ex.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private bool SystemHasVersion()
    {
        var needle = Encoding.ASCII.GetBytes(VersionName + "\0");
        foreach (var candidate in LibStdCxxCandidates)
        {
            if (!File.Exists(candidate)) continue;
            var bytes = File.ReadAllBytes(candidate);
            return IndexOf(bytes, needle) >= 0;
        }
        return false;
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    private string Patch(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            return "not an ELF file";
        if (data[4] != 2 || data[5] != 1) return "not ELF64 little-endian";

        long shoff = BitConverter.ToInt64(data, 0x28);
        int shentsize = BitConverter.ToUInt16(data, 0x3A);
        int shnum = BitConverter.ToUInt16(data, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            uint type = BitConverter.ToUInt32(data, (int)sh + 4);
            if (type != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(data, (int)sh + 0x18);
            int link = BitConverter.ToInt32(data, (int)sh + 0x28);
            int count = BitConverter.ToInt32(data, (int)sh + 0x2C);
            long strSh = shoff + (long)link * shentsize;
            long strOff = BitConverter.ToInt64(data, (int)strSh + 0x18);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int cnt = BitConverter.ToUInt16(data, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(data, (int)need + 8);
                for (int a = 0; a < cnt; a++)
                {
                    uint nameOff = BitConverter.ToUInt32(data, (int)aux + 8);
                    if (ReadString(data, strOff + nameOff) == VersionName)
                    {
                        int flagsAt = (int)aux + 4;
                        ushort flags = BitConverter.ToUInt16(data, flagsAt);
                        if ((flags & VerFlgWeak) != 0) return $"{VersionName} already weak";
                        flags |= VerFlgWeak;
                        data[flagsAt] = (byte)(flags & 0xff);
                        data[flagsAt + 1] = (byte)(flags >> 8);
                        var tmp = path + ".patching";
                        File.WriteAllBytes(tmp, data);
                        File.Copy(tmp, path, overwrite: true);
                        File.Delete(tmp);
                        return $"marked {VersionName} weak";
                    }
                    uint next = BitConverter.ToUInt32(data, (int)aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint vnNext = BitConverter.ToUInt32(data, (int)need + 12);
                if (vnNext == 0) break;
                need += vnNext;
            }
        }
        return $"no {VersionName} requirement found";
    }

    private static string ReadString(byte[] data, long at)
    {
        int end = (int)at;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)at, end - (int)at);
    }
}
