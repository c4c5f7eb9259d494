package dev.nativeext.model.io;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code torch.save} files (the zip format of PyTorch >= 1.6: {@code <dir>/data.pkl},
 * {@code <dir>/data/<key>} storages, {@code <dir>/byteorder}) without Python; the format before
 * it is {@link LegacyTorchCheckpoint}'s, which shares this class's state dict rules.
 *
 * <p>The pickle goes through {@link Unpickler}, which accepts only what a state dict is made of.
 * The state dict is found as maskrcnn-benchmark and torchvision save it: the top-level dict, or
 * its {@code "model"} (maskrcnn-benchmark's {@code {"model": state_dict, "optimizer": ...}}) or
 * {@code "state_dict"} entry. Only the chosen dict's tensors are copied out of the file, each by
 * one bulk copy from a memory mapping; float16 and bfloat16 storages become float32 (the ops
 * compute in float32).
 */
public final class TorchCheckpoint {

    private TorchCheckpoint() {
    }

    /** The state dict of the checkpoint at {@code file}. */
    public static StateDict read(Path file) throws IOException {
        String src = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ZipIndex zip = new ZipIndex(ch, src);
            String prefix = null;
            for (String name : zip.entries().keySet()) {
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                    break;
                }
            }
            if (prefix == null) throw new CheckpointException(src + ": a zip without <dir>/data.pkl is not a torch.save file");
            ZipIndex.Entry bo = zip.entries().get(prefix + "byteorder");
            if (bo != null) {
                String order = StandardCharsets.US_ASCII.decode(zip.read(bo)).toString().trim();
                if (!order.equals("little")) throw new CheckpointException(src + ": byteorder '" + order + "' (only little-endian checkpoints are read)");
            }
            Object root = Unpickler.load(zip.read(zip.entries().get(prefix + "data.pkl")), src + ":" + prefix + "data.pkl");
            Map<String, ByteBuffer> storages = new HashMap<>();
            String dir = prefix;
            return stateDict(findStateDict(root, src), src, (key, name) -> {
                ByteBuffer storage = storages.get(key);
                if (storage == null) {
                    ZipIndex.Entry se = zip.entries().get(dir + "data/" + key);
                    if (se == null) throw new CheckpointException(src + ": storage data/" + key + " of '" + name + "' is missing");
                    storage = zip.read(se);
                    storages.put(key, storage);
                }
                return storage;
            });
        }
    }

    /** The bytes of storage {@code key}, which tensor {@code name} reads. */
    interface StorageSource {
        ByteBuffer storage(String key, String name) throws IOException;
    }

    /** The tensors of a state dict found by {@link #findStateDict}, each copied out of its storage. */
    static StateDict stateDict(Map<?, ?> dict, String src, StorageSource storages) throws IOException {
        StateDict out = new StateDict();
        try {
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                if (!(e.getKey() instanceof String name)) throw new CheckpointException(src + ": state dict key " + Unpickler.brief(e.getKey()) + " is not a string");
                if (!(e.getValue() instanceof Unpickler.TensorRef ref)) continue; // e.g. a stray int; not a weight
                out.put(name, materialize(ref, storages.storage(ref.storageKey(), name), src + ": '" + name + "'"));
            }
        } catch (RuntimeException | IOException ex) {
            out.close();
            throw ex;
        }
        return out;
    }

    static Map<?, ?> findStateDict(Object root, String src) {
        if (!(root instanceof Map<?, ?> m)) throw new CheckpointException(src + ": the pickle holds a " + Unpickler.describe(root) + ", not a dict");
        for (String key : List.of("model", "state_dict")) {
            if (m.get(key) instanceof Map<?, ?> inner && holdsTensors(inner)) return inner;
        }
        if (holdsTensors(m)) return m;
        List<String> keys = new ArrayList<>();
        m.keySet().forEach(k -> keys.add(Unpickler.brief(k)));
        throw new CheckpointException(src + ": no state dict (a dict of tensors) at the top level or under 'model'/'state_dict'; keys: " + keys);
    }

    private static boolean holdsTensors(Map<?, ?> m) {
        for (Object v : m.values()) if (v instanceof Unpickler.TensorRef) return true;
        return false;
    }

    /** Bytes per element of a storage type, or 0 for one this reader does not read. */
    static int elementSize(String storageType) {
        return switch (storageType) {
            case "FloatStorage", "IntStorage" -> 4;
            case "DoubleStorage", "LongStorage" -> 8;
            case "ByteStorage", "BoolStorage" -> 1;
            case "HalfStorage", "BFloat16Storage" -> 2;
            default -> 0;
        };
    }

    private static Tensor materialize(Unpickler.TensorRef ref, ByteBuffer storage, String what) {
        int esize = elementSize(ref.storageType());
        DType dtype = switch (ref.storageType()) {
            case "FloatStorage", "HalfStorage", "BFloat16Storage" -> DType.FLOAT32;
            case "DoubleStorage" -> DType.FLOAT64;
            case "LongStorage" -> DType.INT64;
            case "IntStorage" -> DType.INT32;
            case "ByteStorage" -> DType.UINT8;
            case "BoolStorage" -> DType.BOOL;
            default -> throw new CheckpointException(what + ": storage type " + ref.storageType() + " is not read");
        };
        long[] shape = ref.shape(), stride = ref.stride();
        if (stride.length != shape.length) throw new CheckpointException(what + ": " + shape.length + " sizes but " + stride.length + " strides");
        if (ref.offset() < 0) throw new CheckpointException(what + ": negative storage offset " + ref.offset());
        long numel = 1, maxIndex = ref.offset();
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) throw new CheckpointException(what + ": negative size or stride");
                numel = Math.multiplyExact(numel, shape[i]);
                if (shape[i] > 0) maxIndex = Math.addExact(maxIndex, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
            if (numel > 0 && Math.multiplyExact(maxIndex + 1, (long) esize) > storage.capacity()) {
                throw new CheckpointException(what + ": reads element " + maxIndex + " of a storage with " + storage.capacity() / esize + " elements");
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(what + ": sizes " + Arrays.toString(shape) + " and strides " + Arrays.toString(stride)
                    + " overflow a 64-bit element count");
        }
        boolean contiguous = true;
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) contiguous = false;
            expect *= shape[i];
        }
        ByteBuffer bytes;
        if (numel == 0) {
            bytes = ByteBuffer.allocate(0); // no element is read, whatever the offset says
        } else if (contiguous) {
            bytes = storage.duplicate().position(Math.toIntExact(ref.offset() * esize)).limit(Math.toIntExact((ref.offset() + numel) * esize)).slice();
        } else {
            // a view that repeats elements (a zero stride) would be expanded here: state dicts hold none
            if (numel > storage.capacity() / esize) {
                throw new CheckpointException(what + ": a strided view of " + numel + " elements over a storage of "
                        + storage.capacity() / esize + " (a zero stride?) is not read");
            }
            bytes = gather(storage, ref.offset(), shape, stride, esize, numel);
        }
        if (esize == 2) bytes = halfToFloat(bytes, ref.storageType().equals("BFloat16Storage"));
        return Tensor.fromBytes(dtype, bytes, shape);
    }

    /** The elements of a strided view, in row-major order (rare in state dicts). */
    private static ByteBuffer gather(ByteBuffer storage, long offset, long[] shape, long[] stride, int esize, long numel) {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(numel * esize));
        long[] idx = new long[shape.length];
        byte[] e = new byte[esize];
        for (long n = 0; n < numel; n++) {
            long at = offset;
            for (int d = 0; d < shape.length; d++) at += idx[d] * stride[d];
            storage.get(Math.toIntExact(at * esize), e);
            out.put(e);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out.flip();
    }

    /** Little-endian float16 (or bfloat16) elements as little-endian float32. */
    static ByteBuffer halfToFloat(ByteBuffer in, boolean bfloat) {
        ByteBuffer src = in.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = src.remaining() / 2;
        ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int h = src.getShort(src.position() + 2 * i) & 0xffff;
            out.putFloat(bfloat ? Float.intBitsToFloat(h << 16) : Half.toFloat(h));
        }
        return out.flip();
    }

    /** IEEE binary16 to float, exact (subnormals, infinities, NaN included). */
    static final class Half {
        private Half() {
        }

        static float toFloat(int h) {
            int sign = (h >>> 15) & 1, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
            float v;
            if (exp == 0) v = mant * 0x1p-24f;
            else if (exp == 31) v = mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
            else v = Float.intBitsToFloat(((exp - 15 + 127) << 23) | (mant << 13));
            return sign == 1 ? -v : v;
        }
    }
}
