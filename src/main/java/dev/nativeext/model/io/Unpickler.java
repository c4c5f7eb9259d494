package dev.nativeext.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted unpickler for the pickles of a {@code torch.save} file (the zip format's
 * {@code data.pkl}, the legacy format's five pickles in a row).
 *
 * <p>A checkpoint is untrusted input: this reads data opcodes (numbers, strings, tuples, lists,
 * dicts, memo) and exactly the globals a state dict is made of ({@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2} and, in files of PyTorch before 0.4,
 * {@code _rebuild_tensor}, {@code torch._utils._rebuild_parameter}, the {@code torch.*Storage}
 * types named by persistent ids). Any other opcode or global is refused with a
 * {@link CheckpointException} naming it and its byte offset; nothing is ever executed.
 *
 * <p>Results: {@code String}, {@code Long}, {@code java.math.BigInteger} (wide LONG1), {@code Double},
 * {@code Boolean}, {@code null}, {@code byte[]}, {@link Tuple}, {@code List<Object>},
 * {@code LinkedHashMap<Object, Object>} (dicts and OrderedDicts), {@link TensorRef}.
 */
final class Unpickler {

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        Object get(int i) {
            return items.get(i);
        }

        int size() {
            return items.size();
        }
    }

    /**
     * A tensor as the pickle describes it: its bytes live in the archive's {@code data/<key>} (or
     * the legacy file's storage of that key), from element {@code offset} of it.
     */
    record TensorRef(String storageKey, String storageType, long storageNumel, long offset, long[] shape, long[] stride) {
        @Override
        public String toString() {
            return storageType + Arrays.toString(shape);
        }
    }

    /**
     * A persistent id {@code ('storage', type, key, location, numel[, view_metadata])} resolved:
     * the root storage {@code key} of {@code numel} elements; a legacy file's view of it
     * ({@code view_metadata = (view_key, offset, size)}, written by PyTorch before 1.6 for a
     * sliced storage) starts {@code viewOffset} elements into it.
     */
    record StorageRef(String type, String key, long numel, long viewOffset) {
    }

    /** A pickle's value and the position just past its STOP (where a next pickle would start). */
    record Loaded(Object value, int end) {
    }

    /** A global the reader allows; {@link #apply} is the only thing it can do. */
    private record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** How deep tuples may nest in a dict key (Python's own limit is its recursion limit). */
    private static final int MAX_KEY_DEPTH = 32;

    private static final Set<String> STORAGE_TYPES = Set.of("FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
            "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage");

    private final ByteBuffer in;
    private final String source;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Integer, Object> memo = new HashMap<>();

    private Unpickler(ByteBuffer in, String source) {
        this.in = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
    }

    /** Reads one pickle from {@code data}; {@code source} names it in messages. */
    static Object load(ByteBuffer data, String source) {
        return new Unpickler(data, source).run();
    }

    /** Reads the pickle that starts at {@code position} of {@code data}: its value and where it ends. */
    static Loaded loadAt(ByteBuffer data, int position, String source) {
        Unpickler u = new Unpickler(data.duplicate().position(position), source);
        Object value = u.run();
        return new Loaded(value, u.in.position());
    }

    private Object run() {
        try {
            while (true) {
                int at = in.position();
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> in.get(); // PROTO n
                    case 0x95 -> in.getLong(); // FRAME size: framing is only a read-ahead hint
                    case '.' -> { // STOP
                        return pop();
                    }
                    // ---- constants and numbers
                    case 'N' -> push(null);
                    case 0x88 -> push(Boolean.TRUE);
                    case 0x89 -> push(Boolean.FALSE);
                    case 'J' -> push((long) in.getInt()); // BININT
                    case 'K' -> push((long) (in.get() & 0xff)); // BININT1
                    case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
                    case 0x8a -> push(long1(in.get() & 0xff)); // LONG1
                    case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                    // ---- strings and bytes
                    case 'X' -> push(utf8(in.getInt())); // BINUNICODE
                    case 0x8c -> push(utf8(in.get() & 0xff)); // SHORT_BINUNICODE
                    case 0x8d -> push(utf8(length8(in.getLong()))); // BINUNICODE8
                    case 'T' -> push(utf8(in.getInt())); // BINSTRING (protocol 2 str of py2: read as text)
                    case 'U' -> push(utf8(in.get() & 0xff)); // SHORT_BINSTRING
                    case 'B' -> push(bytes(in.getInt())); // BINBYTES
                    case 'C' -> push(bytes(in.get() & 0xff)); // SHORT_BINBYTES
                    // ---- containers
                    case '(' -> marks.add(stack.size()); // MARK
                    case '0' -> pop(); // POP
                    case '1' -> popMark(); // POP_MARK
                    case '2' -> push(peek()); // DUP
                    case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                    case 't' -> push(new Tuple(popMark())); // TUPLE
                    case 0x85 -> push(new Tuple(Arrays.asList(pop()))); // TUPLE1
                    case 0x86 -> { // TUPLE2
                        Object b = pop(), a = pop();
                        push(new Tuple(Arrays.asList(a, b)));
                    }
                    case 0x87 -> { // TUPLE3
                        Object c = pop(), b = pop(), a = pop();
                        push(new Tuple(Arrays.asList(a, b, c)));
                    }
                    case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                    case 'l' -> push(new ArrayList<>(popMark())); // LIST
                    case 'a' -> { // APPEND
                        Object v = pop();
                        list(peek(), at).add(v);
                    }
                    case 'e' -> { // APPENDS
                        List<Object> items = popMark();
                        list(peek(), at).addAll(items);
                    }
                    case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                    case 'd' -> { // DICT
                        List<Object> items = popMark();
                        Map<Object, Object> m = new LinkedHashMap<>();
                        for (int i = 0; i + 1 < items.size(); i += 2) m.put(key(items.get(i), at), items.get(i + 1));
                        push(m);
                    }
                    case 's' -> { // SETITEM
                        Object v = pop(), k = pop();
                        dict(peek(), at).put(key(k, at), v);
                    }
                    case 'u' -> { // SETITEMS
                        List<Object> items = popMark();
                        Map<Object, Object> m = dict(peek(), at);
                        for (int i = 0; i + 1 < items.size(); i += 2) m.put(key(items.get(i), at), items.get(i + 1));
                    }
                    // ---- memo
                    case 'q' -> memo.put(in.get() & 0xff, peek()); // BINPUT
                    case 'r' -> memo.put(in.getInt(), peek()); // LONG_BINPUT
                    case 0x94 -> memo.put(memo.size(), peek()); // MEMOIZE
                    case 'h' -> push(memoGet(in.get() & 0xff, at)); // BINGET
                    case 'j' -> push(memoGet(in.getInt(), at)); // LONG_BINGET
                    // ---- the only ways to reach code, each restricted
                    case 'c' -> push(global(line(), line(), at)); // GLOBAL
                    case 0x93 -> { // STACK_GLOBAL
                        Object name = pop(), module = pop();
                        push(global(string(module, at), string(name, at), at));
                    }
                    case 'Q' -> push(persistentLoad(pop(), at)); // BINPERSID
                    case 'R' -> { // REDUCE
                        Object args = pop(), f = pop();
                        push(reduce(f, args, at));
                    }
                    case 0x81 -> { // NEWOBJ
                        Object args = pop(), cls = pop();
                        push(reduce(cls, args, at));
                    }
                    case 'b' -> { // BUILD
                        Object state = pop();
                        build(peek(), state, at);
                    }
                    default -> throw refuse("opcode " + opcodeName(op), at);
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new CheckpointException(source + ": pickle ends early (truncated file?)");
        }
    }

    // ---- the restricted part -----------------------------------------------------------------

    private Object global(String module, String name, int at) {
        String q = module + "." + name;
        boolean ok = q.equals("collections.OrderedDict") || q.equals("torch._utils._rebuild_tensor_v2")
                || q.equals("torch._utils._rebuild_tensor") || q.equals("torch._utils._rebuild_parameter") || q.equals("torch._utils._rebuild_parameter_with_state")
                || (module.equals("torch") && STORAGE_TYPES.contains(name));
        if (!ok) throw refuse("global " + q + " (only tensors, storages and OrderedDict are unpickled)", at);
        return new Global(module, name);
    }

    private Object persistentLoad(Object pid, int at) {
        if (!(pid instanceof Tuple t) || t.size() < 5 || t.size() > 6 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof Global g)
                || !g.module().equals("torch") || !STORAGE_TYPES.contains(g.name())) {
            throw refuse("persistent id " + brief(pid) + " (expected ('storage', torch.<Type>Storage, key, location, numel[, view]))", at);
        }
        long numel = number(t.get(4), at), viewOffset = 0;
        if (t.size() == 6 && t.get(5) != null) {
            // a legacy view (view_key, offset, size) of the root storage: it must lie inside it
            if (!(t.get(5) instanceof Tuple v) || v.size() != 3) throw refuse("storage view " + brief(t.get(5)) + " (expected (key, offset, size))", at);
            viewOffset = number(v.get(1), at);
            long size = number(v.get(2), at);
            if (viewOffset < 0 || size < 0 || viewOffset > numel || size > numel - viewOffset) {
                throw malformed("storage view " + brief(v) + " outside its storage of " + numel + " elements", at);
            }
        }
        return new StorageRef(g.name(), string(t.get(2), at), numel, viewOffset);
    }

    private Object reduce(Object f, Object args, int at) {
        if (!(f instanceof Global g)) throw refuse("call of " + describe(f) + " (not an allowed global)", at);
        if (!(args instanceof Tuple a)) throw refuse("call of " + g.qualified() + " with arguments " + describe(args), at);
        switch (g.qualified()) {
            case "collections.OrderedDict" -> {
                if (a.size() != 0) throw refuse("OrderedDict called with " + a.size() + " arguments", at);
                return new LinkedHashMap<>();
            }
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                // v2: (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]); v1 the first four
                if (a.size() < 4 || !(a.get(0) instanceof StorageRef s)) {
                    throw refuse(g.name() + " arguments " + describe(args), at);
                }
                long offset = number(a.get(1), at);
                if (offset < 0) throw malformed("negative storage offset " + offset, at);
                return new TensorRef(s.key(), s.type(), s.numel(), s.viewOffset() + offset, longs(a.get(2), at), longs(a.get(3), at));
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor here.
                if (a.size() < 1 || !(a.get(0) instanceof TensorRef t)) throw refuse(g.qualified() + " arguments " + describe(args), at);
                return t;
            }
            default -> throw refuse("call of " + g.qualified(), at);
        }
    }

    private void build(Object target, Object state, int at) {
        // OrderedDict.__reduce__ sets its instance dict (a state dict's _metadata) through BUILD;
        // the metadata (module versions) is not needed: accept and drop it.
        if (target instanceof Map<?, ?> && (state instanceof Map<?, ?> || state == null)) return;
        throw refuse("BUILD of " + describe(target) + " with " + describe(state), at);
    }

    private CheckpointException malformed(String what, int at) {
        return new CheckpointException(source + ": malformed pickle (" + what + " at byte " + at + ")");
    }

    private CheckpointException refuse(String what, int at) {
        return new CheckpointException(source + ": refused " + what + " at byte " + at
                + "; a checkpoint may hold only tensors and the dicts, lists, tuples, strings and numbers of a state dict");
    }

    // ---- plumbing ----------------------------------------------------------------------------

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty()) throw new CheckpointException(source + ": malformed pickle (stack underflow at byte " + in.position() + ")");
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.isEmpty()) throw new CheckpointException(source + ": malformed pickle (empty stack at byte " + in.position() + ")");
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw new CheckpointException(source + ": malformed pickle (no MARK at byte " + in.position() + ")");
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(int key, int at) {
        if (!memo.containsKey(key)) throw new CheckpointException(source + ": malformed pickle (memo " + key + " unset at byte " + at + ")");
        return memo.get(key);
    }

    /**
     * {@code k} as a dict key. Python refuses unhashable keys (lists, dicts) when it unpickles; so
     * does this, which also keeps a list that holds itself, or a key nested without end, from
     * being hashed (a StackOverflowError in Java). State dicts' keys are strings, an optimizer's
     * numbers.
     */
    private Object key(Object k, int at) {
        checkHashable(k, 0, at);
        return k;
    }

    private void checkHashable(Object k, int depth, int at) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof java.math.BigInteger || k instanceof Double
                || k instanceof Boolean || k instanceof byte[]) return;
        if (k instanceof Tuple t) {
            if (depth >= MAX_KEY_DEPTH) throw refuse("a dict key of tuples nested over " + MAX_KEY_DEPTH + " deep", at);
            for (Object item : t.items()) checkHashable(item, depth + 1, at);
            return;
        }
        throw refuse("a dict key that is a " + describe(k) + " (unhashable, or not data)", at);
    }

    /** A length of 8 bytes (BINUNICODE8), or a refusal where no such run of bytes follows. */
    private int length8(long n) {
        if (n < 0 || n > in.remaining()) throw new CheckpointException(source + ": malformed pickle (length " + n + " at byte " + in.position() + ")");
        return (int) n;
    }

    private Object long1(int n) {
        byte[] b = new byte[n];
        in.get(b);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = b[n - 1 - i];
        java.math.BigInteger v = new java.math.BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(int n) {
        byte[] b = bytes(n);
        return new String(b, StandardCharsets.UTF_8);
    }

    private byte[] bytes(int n) {
        if (n < 0 || n > in.remaining()) throw new CheckpointException(source + ": malformed pickle (length " + n + " at byte " + in.position() + ")");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String line() {
        StringBuilder sb = new StringBuilder();
        for (byte c; (c = in.get()) != '\n'; ) sb.append((char) (c & 0xff));
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, int at) {
        if (o instanceof List<?> l) return (List<Object>) l;
        throw refuse("append to " + describe(o), at);
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, int at) {
        if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
        throw refuse("item assignment to " + describe(o), at);
    }

    private String string(Object o, int at) {
        if (o instanceof String s) return s;
        throw refuse("a " + describe(o) + " where a string belongs", at);
    }

    private long number(Object o, int at) {
        if (o instanceof Long l) return l;
        throw refuse("a " + describe(o) + " where an integer belongs", at);
    }

    private long[] longs(Object o, int at) {
        List<Object> items = o instanceof Tuple t ? t.items() : o instanceof List<?> l ? new ArrayList<>(l) : null;
        if (items == null) throw refuse("a " + describe(o) + " where a tuple of sizes belongs", at);
        long[] r = new long[items.size()];
        for (int i = 0; i < r.length; i++) r[i] = number(items.get(i), at);
        return r;
    }

    /**
     * {@code o} for a message: containers by their kind and size, a few levels deep, so that a
     * pickled structure that contains itself or nests without end is still printed in a line.
     */
    static String brief(Object o) {
        StringBuilder sb = new StringBuilder();
        brief(o, 0, sb);
        return sb.length() > 200 ? sb.substring(0, 200) + "..." : sb.toString();
    }

    private static void brief(Object o, int depth, StringBuilder sb) {
        if (sb.length() > 200) return;
        List<?> items = o instanceof Tuple t ? t.items() : o instanceof List<?> l ? l : null;
        if (items != null) {
            boolean tuple = o instanceof Tuple;
            sb.append(tuple ? '(' : '[');
            if (depth >= 2) sb.append(items.size()).append(" items");
            else for (int i = 0; i < items.size() && sb.length() <= 200; i++) {
                if (i > 0) sb.append(", ");
                brief(items.get(i), depth + 1, sb);
            }
            sb.append(tuple ? ')' : ']');
        } else if (o instanceof Map<?, ?> m) {
            sb.append("dict of ").append(m.size());
        } else if (o instanceof String s) {
            sb.append('\'').append(s.length() > 60 ? s.substring(0, 60) + "..." : s).append('\'');
        } else if (o instanceof Long || o instanceof Double || o instanceof Boolean || o instanceof java.math.BigInteger) {
            sb.append(o);
        } else {
            sb.append(describe(o));
        }
    }

    /** The Python type of {@code o}, as a message names it (a global by its qualified name). */
    static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Global g) return g.qualified();
        if (o instanceof String) return "str";
        if (o instanceof Long || o instanceof java.math.BigInteger) return "int";
        if (o instanceof Double) return "float";
        if (o instanceof Boolean) return "bool";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof List<?>) return "list";
        if (o instanceof Map<?, ?>) return "dict";
        if (o instanceof TensorRef) return "tensor";
        if (o instanceof StorageRef) return "storage";
        return o.getClass().getSimpleName();
    }

    private static String opcodeName(int op) {
        String name = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 'P' -> "PERSID";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'F' -> "FLOAT";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'g' -> "GET";
            case 'p' -> "PUT";
            case 0x8b -> "LONG4";
            case 0x8e -> "BINBYTES8";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> "?";
        };
        return name + String.format(" (0x%02x)", op);
    }

    /** For tests and messages: the allowed globals, qualified. */
    static List<String> allowedGlobals() {
        List<String> r = new ArrayList<>(List.of("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"));
        STORAGE_TYPES.stream().sorted().map(s -> "torch." + s).forEach(r::add);
        return r;
    }
}
