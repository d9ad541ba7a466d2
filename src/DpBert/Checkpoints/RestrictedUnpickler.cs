using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace DpBert.Checkpoints;

/// <summary>
/// Reads the pickle of a PyTorch state dict (<c>data.pkl</c> of a <c>torch.save</c> zip) without executing
/// anything. It interprets the opcodes a state dict uses (protocols 2 to 4) and resolves only the globals a
/// state dict needs: <c>torch._utils._rebuild_tensor_v2</c>, <c>collections.OrderedDict</c> and the
/// <c>torch.*Storage</c> types. Any other global, any other opcode, and any call other than those two is
/// refused with an error naming it and its byte offset. Nothing is ever imported or called: the "calls"
/// build <see cref="PickleTensor"/> and <see cref="PickleDict"/> values.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>The storage types a state dict may name, with the dtype of their elements.</summary>
    private static readonly Dictionary<string, SafetensorsDtype> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = SafetensorsDtype.F32,
        ["HalfStorage"] = SafetensorsDtype.F16,
        ["BFloat16Storage"] = SafetensorsDtype.BF16,
        ["DoubleStorage"] = SafetensorsDtype.F64,
        ["LongStorage"] = SafetensorsDtype.I64,    // position_ids buffers of older transformers
        ["IntStorage"] = SafetensorsDtype.I32,
        ["ShortStorage"] = SafetensorsDtype.I16,
        ["CharStorage"] = SafetensorsDtype.I8,
        ["ByteStorage"] = SafetensorsDtype.U8,
        ["BoolStorage"] = SafetensorsDtype.Bool,
    };

    private const string RebuildTensor = "torch._utils._rebuild_tensor_v2";
    private const string OrderedDict = "collections.OrderedDict";

    private readonly byte[] _data;
    private readonly string _source;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _position;
    private int _opcodeOffset;

    private RestrictedUnpickler(byte[] data, int position, string source)
    {
        _data = data;
        _position = position;
        _source = source;
    }

    /// <summary>The tensors of the state dict pickled in <paramref name="data"/>, by key, in file order.</summary>
    /// <param name="data">The pickle bytes.</param>
    /// <param name="source">Names the pickle in errors, e.g. <c>pytorch_model.bin: archive/data.pkl</c>.</param>
    /// <exception cref="InvalidDataException">A forbidden global or call, an unknown opcode, a truncated pickle, or a top-level value that is not a dict of tensors.</exception>
    public static IReadOnlyList<KeyValuePair<string, PickleTensor>> ReadStateDict(byte[] data, string source)
    {
        int position = 0;
        return ReadStateDict(data, ref position, source);
    }

    /// <summary>The state dict pickled at <paramref name="position"/>, which moves past its STOP (legacy files hold several pickles in a row).</summary>
    public static IReadOnlyList<KeyValuePair<string, PickleTensor>> ReadStateDict(byte[] data, ref int position, string source)
    {
        object? root = ReadValue(data, ref position, source);
        if (root is not PickleDict dict)
            throw new InvalidDataException($"{source}: the pickle holds {Describe(root)}, not a state dict (a dict of tensors)");
        var tensors = new List<KeyValuePair<string, PickleTensor>>(dict.Items.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) throw new InvalidDataException($"{source}: state dict key {Describe(key)} is not a string");
            if (value is not PickleTensor tensor) throw new InvalidDataException($"{source}: state dict entry \"{name}\" is {Describe(value)}, not a tensor");
            // torch.save never writes a key twice; Python would keep the last silently, which hides which weights load.
            if (!names.Add(name)) throw new InvalidDataException($"{source}: state dict key \"{name}\" appears twice");
            tensors.Add(new(name, tensor));
        }
        return tensors;
    }

    /// <summary>
    /// The value pickled at <paramref name="position"/> (a number, string, tuple, <see cref="PickleDict"/>,
    /// <see cref="PickleList"/>, <see cref="PickleTensor"/>, ...), which moves past its STOP. Each pickle has its own memo.
    /// </summary>
    public static object? ReadValue(byte[] data, ref int position, string source)
    {
        var reader = new RestrictedUnpickler(data, position, source);
        object? value = reader.Run();
        position = reader._position;
        return value;
    }

    private object? Run()
    {
        while (true)
        {
            if (_position >= _data.Length) throw Error("the pickle ends before its STOP opcode (truncated)");
            _opcodeOffset = _position;
            byte op = _data[_position++];
            switch (op)
            {
                case 0x80: ReadByte(); break;                                  // PROTO n
                case 0x95: ReadBytes(8); break;                                // FRAME length: framing only
                case (byte)'.': return _stack.Count == 1 ? _stack[0] : throw Error($"STOP with {_stack.Count} values on the stack, expected 1");
                case (byte)'(': _marks.Push(_stack.Count); break;             // MARK
                case (byte)'}': Push(new PickleDict()); break;                 // EMPTY_DICT
                case (byte)']': Push(new PickleList()); break;                 // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break;           // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark().ToArray()); break;            // TUPLE
                case 0x85: Push(PopMany(1)); break;                            // TUPLE1
                case 0x86: Push(PopMany(2)); break;                            // TUPLE2
                case 0x87: Push(PopMany(3)); break;                            // TUPLE3
                case (byte)'N': Push(null); break;                             // NONE
                case 0x88: Push(true); break;                                  // NEWTRUE
                case 0x89: Push(false); break;                                 // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;   // BININT
                case (byte)'K': Push((long)ReadByte()); break;                                             // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;  // BININT2
                case 0x8a: Push(ReadLong1()); break;                                                       // LONG1
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;           // BINFLOAT
                case (byte)'X': Push(ReadUtf8(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // BINUNICODE
                case 0x8c: Push(ReadUtf8(ReadByte())); break;                                              // SHORT_BINUNICODE
                case 0x8d: Push(ReadUtf8(BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8)))); break;   // BINUNICODE8
                case (byte)'q': _memo[ReadByte()] = Peek(); break;                                         // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Peek(); break;                                             // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte())); break;                                           // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                case (byte)'0': Pop(); break;                                                              // POP
                case (byte)'1': PopToMark(); break;                                                        // POP_MARK
                case (byte)'2': Push(Peek()); break;                                                       // DUP
                case (byte)'c': Push(Global(ReadLine(), ReadLine())); break;                               // GLOBAL
                case 0x93: { object? name = Pop(), module = Pop(); Push(Global(AsText(module), AsText(name))); break; } // STACK_GLOBAL
                case (byte)'Q': Push(PersistentLoad(Pop())); break;                                        // BINPERSID
                case (byte)'R': { object? args = Pop(), callable = Pop(); Push(Reduce(callable, args)); break; } // REDUCE
                case (byte)'b': Build(); break;                                                            // BUILD
                case (byte)'s': { object? value = Pop(), key = Pop(); AsDict(Peek()).Items.Add(new(key, value)); break; } // SETITEM
                case (byte)'u': SetItems(); break;                                                         // SETITEMS
                case (byte)'a': { object? value = Pop(); AsList(Peek()).Items.Add(value); break; }         // APPEND
                case (byte)'e': { var values = PopToMark(); AsList(Peek()).Items.AddRange(values); break; } // APPENDS
                default:
                    throw Error($"opcode 0x{op:x2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : "")} is not one a state dict uses; refusing to interpret it");
            }
        }
    }

    /// <summary>Resolves an allowed global; anything else is refused, never imported.</summary>
    private PickleGlobal Global(string module, string name)
    {
        string full = $"{module}.{name}";
        bool allowed = full is RebuildTensor or OrderedDict || (module == "torch" && StorageTypes.ContainsKey(name));
        if (!allowed)
            throw Error($"global \"{full}\" is not allowed: a state dict needs only {RebuildTensor}, {OrderedDict} and torch.*Storage; " +
                "the file was not loaded (nothing in it was executed)");
        return new PickleGlobal(module, name);
    }

    /// <summary>
    /// A persistent id <c>('storage', torch.XStorage, key, location, numel)</c> (zip format), or the legacy format's
    /// <c>(..., numel, None)</c>, becomes a <see cref="PickleStorage"/>.
    /// </summary>
    private PickleStorage PersistentLoad(object? id)
    {
        if (id is not object?[] { Length: 5 or 6 } t || t[0] is not "storage" || t[1] is not PickleGlobal type || t[2] is not string key || t[4] is not long count)
            throw Error($"persistent id {Describe(id)} is not ('storage', torch.<Type>Storage, key, location, numel)");
        if (t.Length == 6 && t[5] is not null)
            throw Error($"storage \"{key}\" is a view of another storage (PyTorch < 0.4 format), which is not supported");
        if (type.Module != "torch" || !StorageTypes.TryGetValue(type.Name, out var dtype))
            throw Error($"persistent id names \"{type.FullName}\", which is not a storage type");
        if (count < 0) throw Error($"storage \"{key}\" has a negative element count {count}");
        return new PickleStorage(dtype, type.FullName, key, count);
    }

    private object Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal global) throw Error($"REDUCE calls {Describe(callable)}, which is not an allowed global");
        if (args is not object?[] a) throw Error($"REDUCE on {global.FullName} with arguments {Describe(args)}, not a tuple");
        switch (global.FullName)
        {
            case OrderedDict when a.Length == 0:
                return new PickleDict();
            case RebuildTensor when a.Length is 6 or 7:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a[0] is not PickleStorage storage) throw Error($"{RebuildTensor}: first argument {Describe(a[0])} is not a storage");
                if (a[1] is not long offset || offset < 0) throw Error($"{RebuildTensor}: storage offset {Describe(a[1])} is not a non-negative integer");
                long[] shape = Integers(a[2], "size"), strides = Integers(a[3], "stride");
                if (shape.Length != strides.Length) throw Error($"{RebuildTensor}: size has {shape.Length} dimensions but stride {strides.Length}");
                if (shape.Any(d => d < 0) || strides.Any(s => s < 0)) throw Error($"{RebuildTensor}: negative size or stride");
                return new PickleTensor(storage, offset, shape, strides);
            default:
                throw Error($"REDUCE {global.FullName} with {a.Length} arguments is not a call a state dict makes");
        }
    }

    /// <summary>BUILD sets attributes: on a dict it is a state dict's <c>_metadata</c> (versions), which loading does not need.</summary>
    private void Build()
    {
        Pop(); // the attributes
        object? target = Peek();
        if (target is not PickleDict) throw Error($"BUILD on {Describe(target)} (only a state dict's attributes may be set)");
    }

    private void SetItems()
    {
        var values = PopToMark();
        if (values.Count % 2 != 0) throw Error($"SETITEMS with an odd number of values ({values.Count})");
        var dict = AsDict(Peek());
        for (int i = 0; i < values.Count; i += 2) dict.Items.Add(new(values[i], values[i + 1]));
    }

    private long[] Integers(object? value, string what) =>
        value is object?[] items && items.All(i => i is long)
            ? items.Select(i => (long)i!).ToArray()
            : throw Error($"{RebuildTensor}: {what} {Describe(value)} is not a tuple of integers");

    /// <summary>A LONG1 integer: a <see cref="long"/> when it fits (tensor sizes), else a <see cref="BigInteger"/> (the legacy format's magic number).</summary>
    private object ReadLong1()
    {
        int length = ReadByte();
        if (length > 16) throw Error($"LONG1 of {length} bytes is larger than any integer a state dict holds");
        var value = new BigInteger(ReadBytes(length), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadUtf8(ulong length)
    {
        if (length > int.MaxValue) throw Error($"string of {length} bytes is too long");
        var bytes = ReadBytes((int)length);
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Error("string is not valid UTF-8"); }
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _position);
        if (end < 0) throw Error("GLOBAL name runs past the end of the pickle (truncated)");
        string text = Encoding.ASCII.GetString(_data, _position, end - _position);
        _position = end + 1;
        return text;
    }

    private byte ReadByte() => ReadBytes(1)[0];

    private ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || _position + (long)count > _data.Length) throw Error($"needs {count} more bytes but the pickle ends (truncated)");
        var span = _data.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw Error("the stack is empty");

    private object? Pop()
    {
        object? value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        if (_marks.Count > 0 && _marks.Peek() > _stack.Count) throw Error("a value was popped past a MARK");
        return value;
    }

    private object?[] PopMany(int count)
    {
        var values = new object?[count];
        for (int i = count - 1; i >= 0; i--) values[i] = Pop();
        return values;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Error("no MARK to pop to");
        int mark = _marks.Pop();
        var values = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return values;
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Error($"memo entry {index} was never stored");

    private string AsText(object? value) => value as string ?? throw Error($"{Describe(value)} is not a string");

    private PickleDict AsDict(object? value) => value as PickleDict ?? throw Error($"items set on {Describe(value)}, not a dict");

    private PickleList AsList(object? value) => value as PickleList ?? throw Error($"items appended to {Describe(value)}, not a list");

    private InvalidDataException Error(string message) => new($"{_source}: byte {_opcodeOffset}: {message}");

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"the string \"{s}\"",
        long n => $"the integer {n}",
        object?[] t => $"a tuple of {t.Length}",
        PickleGlobal g => g.FullName,
        PickleDict => "a dict",
        PickleList => "a list",
        PickleStorage s => $"storage \"{s.Key}\"",
        PickleTensor => "a tensor",
        _ => value.GetType().Name,
    };
}
