using System.Reflection;
using System.Reflection.Emit;

namespace PoisonRange.Testing;

/// <summary>
/// Finds the places in an assembly where TorchSharp would create a temporary native scalar that
/// only the garbage collector frees. TorchSharp 0.107 turns numbers into <c>TorchSharp.Scalar</c>
/// objects (implicit conversions, <c>a + b</c>'s hidden α = 1, its optimizers' update rules) and
/// passes their handles to native calls without keeping the managed object alive; a collection
/// during that call finalises the scalar while libtorch still reads it, and the process aborts
/// with "Expected false to be true" at <c>c10/core/Scalar.h</c>. Code that trains models must
/// pass scalars it owns instead. The audit walks the IL of every method of the assembly and
/// reports each call that converts a number implicitly or reaches (through TorchSharp's own
/// code, a few calls deep) a method that does, and each use of TorchSharp's optimizers.
/// </summary>
public static class TorchScalarAudit
{
    private const int MaxDepth = 4;
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private static readonly Dictionary<MethodBase, bool> CreatesTemporaryScalar = [];
    private static readonly object Gate = new();

    /// <summary>Lines "Type.Method calls TorchSharp.X.Y" for every offending call in <paramref name="assembly"/>.</summary>
    public static IReadOnlyList<string> Violations(Assembly assembly)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in SafeTypes(assembly))
        {
            foreach (var method in Methods(type))
            {
                foreach (var callee in Callees(method))
                {
                    if (!IsTorchSharp(callee)) continue;
                    if (IsOptimizerFactory(callee) || CreatesScalar(callee, 0))
                        found.Add($"{type.FullName}.{method.Name} calls {callee.DeclaringType?.FullName}.{callee.Name}({string.Join(", ", callee.GetParameters().Select(p => p.ParameterType.Name))})");
                }
            }
        }
        return found.ToList();
    }

    private static bool IsTorchSharp(MethodBase method) => method.DeclaringType?.Assembly.GetName().Name == "TorchSharp";

    private static bool IsImplicitScalar(MethodBase method) =>
        method.DeclaringType?.FullName == "TorchSharp.Scalar" && method.Name == "op_Implicit";

    private static bool IsOptimizerFactory(MethodBase method)
    {
        var declaring = method.DeclaringType;
        if (declaring is null) return false;
        if (declaring.FullName == "TorchSharp.torch+optim") return true;
        var optimizer = declaring.Assembly.GetType("TorchSharp.torch+optim+Optimizer");
        return optimizer is not null && (declaring == optimizer || declaring.IsSubclassOf(optimizer));
    }

    private static bool CreatesScalar(MethodBase method, int depth)
    {
        if (IsImplicitScalar(method)) return true;
        if (depth >= MaxDepth || !IsTorchSharp(method)) return false;
        lock (Gate)
        {
            if (CreatesTemporaryScalar.TryGetValue(method, out var known)) return known;
            CreatesTemporaryScalar[method] = false; // breaks cycles
        }
        bool result = false;
        foreach (var callee in Callees(method))
        {
            if (IsImplicitScalar(callee) || (IsTorchSharp(callee) && CreatesScalar(callee, depth + 1)))
            {
                result = true;
                break;
            }
        }
        // Lambdas the method builds (optimizer steps) are separate methods of a nested type.
        if (!result && method.DeclaringType is { } declaring)
        {
            foreach (var nested in declaring.GetNestedTypes(BindingFlags.NonPublic))
            {
                foreach (var lambda in Methods(nested).Where(m => m.Name.Contains($"<{method.Name}>", StringComparison.Ordinal)))
                {
                    if (Callees(lambda).Any(IsImplicitScalar)) { result = true; break; }
                }
                if (result) break;
            }
            foreach (var lambda in Methods(declaring).Where(m => m.Name.StartsWith($"<{method.Name}>", StringComparison.Ordinal)))
            {
                if (Callees(lambda).Any(IsImplicitScalar)) { result = true; break; }
            }
        }
        lock (Gate) CreatesTemporaryScalar[method] = result;
        return result;
    }

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.Where(t => t is not null)!; }
    }

    private static IEnumerable<MethodBase> Methods(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var m in type.GetMethods(all)) yield return m;
        foreach (var c in type.GetConstructors(all)) yield return c;
    }

    /// <summary>Methods called or constructed by <paramref name="method"/>'s IL.</summary>
    public static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or BadImageFormatException) { il = null; }
        if (il is null) yield break;
        Type[]? typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArgs = method is MethodInfo { IsGenericMethod: true } mi ? mi.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break;
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException or MissingMethodException) { }
                if (callee is not null) yield return callee;
            }
            i += operand;
        }
    }
}
