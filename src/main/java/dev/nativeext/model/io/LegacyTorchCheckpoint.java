package dev.nativeext.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code torch.save} files of the format before PyTorch 1.6 (what PyTorch 1.0-1.5 wrote by
 * default, and 1.6+ with {@code _use_new_zipfile_serialization=False}): maskrcnn-benchmark's
 * model zoo and torchvision's first ImageNet weights are in it.
 *
 * <p>The file is five pickles in a row: torch's magic number, the protocol version 1001, a
 * {@code sys_info} dict (byte order, type sizes), the object, and the list of storage keys; then,
 * for each key in that list's order, the storage as an int64 element count and its raw bytes. The
 * object pickle is read by the same restricted {@link Unpickler} as the zip format's
 * {@code data.pkl}, and the state dict found and copied out by {@link TorchCheckpoint}'s rules.
 * Every count and length is checked against the file before anything is read or allocated; a
 * file that is a pickle but not this (a Detectron {@code .pkl} of numpy arrays, a pickled model)
 * is refused, naming the file.
 */
public final class LegacyTorchCheckpoint {

    /** The first pickle of every legacy file: PROTO 2, LONG1 of 10 bytes 0x1950a86a20f9469cfc6c, STOP. */
    private static final byte[] MAGIC_PICKLE = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20,
        0x6a, (byte) 0xa8, 0x50, 0x19, '.'};
    private static final long PROTOCOL_VERSION = 1001;
    /** The pickles are read from a mapping of at most this much of the file's head. */
    private static final long HEAD_WINDOW = Integer.MAX_VALUE;

    private LegacyTorchCheckpoint() {
    }

    /** Whether {@code head} (a file's first bytes) starts like a legacy torch.save file. */
    private static boolean isLegacy(ByteBuffer head) {
        if (head.remaining() < MAGIC_PICKLE.length) return false;
        for (int i = 0; i < MAGIC_PICKLE.length; i++) if (head.get(head.position() + i) != MAGIC_PICKLE[i]) return false;
        return true;
    }

    /** The state dict of the legacy checkpoint at {@code file}. */
    public static StateDict read(Path file) throws IOException {
        String src = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, HEAD_WINDOW)).order(ByteOrder.LITTLE_ENDIAN);
            if (!isLegacy(head)) {
                throw new CheckpointException(src + ": a pickle, but not a torch.save file (no torch magic number): a Detectron .pkl"
                        + " or a pickled object is not read; convert it to a state dict saved with torch.save, or to safetensors");
            }
            int at = MAGIC_PICKLE.length;
            Unpickler.Loaded protocol = Unpickler.loadAt(head, at, src + ": protocol version");
            if (!Long.valueOf(PROTOCOL_VERSION).equals(protocol.value())) {
                throw new CheckpointException(src + ": legacy torch.save protocol version " + Unpickler.brief(protocol.value())
                        + " (only " + PROTOCOL_VERSION + " is read)");
            }
            Unpickler.Loaded sysInfo = Unpickler.loadAt(head, protocol.end(), src + ": sys_info");
            if (!(sysInfo.value() instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian"))) {
                throw new CheckpointException(src + ": sys_info " + Unpickler.brief(sysInfo.value())
                        + " is not a little-endian one (only little-endian checkpoints are read)");
            }
            Unpickler.Loaded object = Unpickler.loadAt(head, sysInfo.end(), src + ": the object pickle");
            Unpickler.Loaded keys = Unpickler.loadAt(head, object.end(), src + ": the storage keys");
            Map<String, ByteBuffer> storages = storages(ch, size, keys, types(object.value()), src);
            return TorchCheckpoint.stateDict(TorchCheckpoint.findStateDict(object.value(), src), src, (key, name) -> {
                ByteBuffer s = storages.get(key);
                if (s == null) throw new CheckpointException(src + ": storage " + key + " of '" + name + "' is not in the file's storage list");
                return s;
            });
        }
    }

    /**
     * A tensor of each storage key the object holds, anywhere (an optimizer's state too: the file
     * lists its storages as well, and their element size is needed to step over them).
     */
    private static Map<String, Unpickler.TensorRef> types(Object root) {
        Map<String, Unpickler.TensorRef> byKey = new HashMap<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());   // the memo may share, or nest a container in itself
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (o instanceof Unpickler.TensorRef t) {
                byKey.putIfAbsent(t.storageKey(), t);
                continue;
            }
            if (!(o instanceof Map<?, ?> || o instanceof List<?> || o instanceof Unpickler.Tuple) || !seen.add(o)) continue;
            if (o instanceof Map<?, ?> m) m.values().forEach(v -> push(todo, v));
            else if (o instanceof List<?> l) l.forEach(v -> push(todo, v));
            else ((Unpickler.Tuple) o).items().forEach(v -> push(todo, v));
        }
        return byKey;
    }

    private static void push(Deque<Object> todo, Object v) {
        if (v != null) todo.push(v);
    }

    /**
     * The storages after the pickles, in the keys' order: each an int64 element count (the root
     * storage's, as its persistent id said) and that many elements of its type, mapped from the file.
     */
    private static Map<String, ByteBuffer> storages(FileChannel ch, long size, Unpickler.Loaded keys, Map<String, Unpickler.TensorRef> refs,
                                                    String src) throws IOException {
        if (!(keys.value() instanceof List<?> list)) {
            throw new CheckpointException(src + ": the storage key list is a " + Unpickler.describe(keys.value()) + ", not a list");
        }
        Map<String, ByteBuffer> out = new HashMap<>();
        long at = keys.end();
        ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (Object k : list) {
            if (!(k instanceof String key)) throw new CheckpointException(src + ": storage key " + Unpickler.brief(k) + " is not a string");
            Unpickler.TensorRef ref = refs.get(key);
            if (ref == null) throw new CheckpointException(src + ": storage " + key + " is listed but no tensor uses it");
            if (out.containsKey(key)) throw new CheckpointException(src + ": storage " + key + " is listed twice");
            int esize = TorchCheckpoint.elementSize(ref.storageType());
            if (esize == 0) throw new CheckpointException(src + ": storage " + key + " of type " + ref.storageType() + " is not read");
            if (size - at < 8) throw new CheckpointException(src + ": ends before storage " + key + " (truncated file?)");
            count.clear();
            while (count.hasRemaining()) {
                if (ch.read(count, at + count.position()) <= 0) throw new CheckpointException(src + ": ends before storage " + key);
            }
            long n = count.getLong(0);
            if (n != ref.storageNumel()) {
                throw new CheckpointException(src + ": storage " + key + " holds " + n + " elements, its tensors' persistent id says "
                        + ref.storageNumel());
            }
            long bytes = n < 0 || n > (size - at - 8) / esize ? -1 : n * esize;
            if (bytes < 0) {
                throw new CheckpointException(src + ": storage " + key + " of " + n + " elements of " + esize + " bytes runs past the end of the file ("
                        + size + " bytes)");
            }
            if (bytes > Integer.MAX_VALUE) throw new CheckpointException(src + ": storage " + key + " of " + bytes + " bytes (over 2 GiB) is not read");
            out.put(key, ch.map(FileChannel.MapMode.READ_ONLY, at + 8, bytes).order(ByteOrder.LITTLE_ENDIAN));
            at += 8 + bytes;
        }
        return out;
    }
}
