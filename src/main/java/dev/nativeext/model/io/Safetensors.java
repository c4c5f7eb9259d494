package dev.nativeext.model.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * safetensors files: an 8-byte little-endian header length, a JSON header
 * {@code {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}},
 * then the raw little-endian tensor bytes. Read by memory mapping with one bulk copy per tensor;
 * written through a temporary file that is renamed into place.
 */
public final class Safetensors {

    private static final JsonFactory JSON = JsonFactory.builder().build();
    /** A header larger than this is refused (the reference implementation uses 100 MB). */
    static final long MAX_HEADER = 100L << 20;

    private Safetensors() {
    }

    /** Whether {@code n}, the 8-byte length a file of {@code size} bytes starts with, can be its JSON header's. */
    static boolean headerFits(long n, long size) {
        return n >= 2 && n <= MAX_HEADER && n <= size - 8;
    }

    public static StateDict read(Path file) throws IOException {
        String src = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw new CheckpointException(src + ": " + size + " bytes is too short for a safetensors file");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (!headerFits(n, size)) {
                throw new CheckpointException(src + ": not a safetensors file: its first 8 bytes give a header length of " + n
                        + " for a " + size + "-byte file");
            }
            ByteBuffer header = ByteBuffer.allocate((int) n);
            while (header.hasRemaining()) {
                if (ch.read(header, 8 + header.position()) < 0) throw new CheckpointException(src + ": the file ends inside its header");
            }
            Map<String, Info> infos = parseHeader(header.array(), src);
            long dataStart = 8 + n, dataSize = size - dataStart;
            StateDict out = new StateDict();
            try {
                // one mapping of the data where a ByteBuffer can hold it (2 GiB), else one per tensor
                ByteBuffer data = dataSize == 0 ? ByteBuffer.allocate(0)
                        : dataSize <= Integer.MAX_VALUE ? ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataSize).order(ByteOrder.LITTLE_ENDIAN)
                        : null;
                for (Map.Entry<String, Info> e : infos.entrySet()) {
                    Info info = e.getValue();
                    String what = src + ": '" + e.getKey() + "'";
                    long numel = 1, nbytes;
                    try {
                        for (long d : info.shape) {
                            if (d < 0) throw new CheckpointException(what + ": negative size in shape");
                            numel = Math.multiplyExact(numel, d);
                        }
                        nbytes = Math.multiplyExact(numel, (long) info.esize);
                    } catch (ArithmeticException ex) {
                        throw new CheckpointException(what + ": shape " + java.util.Arrays.toString(info.shape) + " overflows a 64-bit byte count");
                    }
                    if (info.end < info.begin || info.end > dataSize || info.end - info.begin != nbytes) {
                        throw new CheckpointException(what + ": data_offsets [" + info.begin + ", " + info.end + "] do not hold "
                                + numel + " " + info.dtypeName + " elements inside " + dataSize + " data bytes");
                    }
                    if (nbytes > Integer.MAX_VALUE) throw new CheckpointException(what + ": " + nbytes + " bytes, over the 2 GiB one tensor may have here");
                    ByteBuffer bytes = data != null ? data.duplicate().position((int) info.begin).limit((int) info.end).slice()
                            : ch.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin, nbytes).order(ByteOrder.LITTLE_ENDIAN);
                    if (info.esize == 2) bytes = TorchCheckpoint.halfToFloat(bytes, info.dtypeName.equals("BF16"));
                    out.put(e.getKey(), Tensor.fromBytes(info.dtype, bytes, info.shape));
                }
            } catch (RuntimeException ex) {
                out.close();
                throw ex;
            }
            return out;
        }
    }

    /** Writes {@code tensors} (any device) in order; {@code metadata} may be empty. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ByteArrayOutputStream hb = new ByteArrayOutputStream();
        long offset = 0;
        try (JsonGenerator g = JSON.createGenerator(hb)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> m : metadata.entrySet()) g.writeStringField(m.getKey(), m.getValue());
                g.writeEndObject();
            }
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("tensor name '__metadata__' is reserved");
                Tensor t = e.getValue();
                g.writeObjectFieldStart(e.getKey());
                g.writeStringField("dtype", code(t.dtype()));
                g.writeArrayFieldStart("shape");
                for (long d : t.shape()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + t.bytes());
                g.writeEndArray();
                g.writeEndObject();
                offset += t.bytes();
            }
            g.writeEndObject();
        }
        while (hb.size() % 8 != 0) hb.write(' '); // the data starts 8-byte aligned, as the reference writer does
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, hb.size());
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(hb.toByteArray()));
            for (Tensor t : tensors.values()) writeFully(ch, ByteBuffer.wrap(t.toRawBytes()));
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static final class Info {
        String dtypeName;
        DType dtype;
        int esize;
        long[] shape;
        long begin = -1, end = -1;
    }

    private static Map<String, Info> parseHeader(byte[] header, String src) throws IOException {
        Map<String, Info> out = new LinkedHashMap<>();
        // The header is UTF-8 JSON (the format says so); decoded strictly, so that other bytes are
        // refused here rather than guessed at as another encoding by the JSON parser.
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(header)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(src + ": not a safetensors file: its " + header.length + "-byte header is not UTF-8 text");
        }
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new CheckpointException(src + ": the header is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (p.nextToken() != JsonToken.START_OBJECT) throw new CheckpointException(src + ": header entry '" + name + "' is not an object");
                if (name.equals("__metadata__")) {
                    p.skipChildren();
                    continue;
                }
                Info info = new Info();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "dtype" -> {
                            info.dtypeName = p.getText();
                            switch (info.dtypeName) {
                                case "F32" -> { info.dtype = DType.FLOAT32; info.esize = 4; }
                                case "F64" -> { info.dtype = DType.FLOAT64; info.esize = 8; }
                                case "I64" -> { info.dtype = DType.INT64; info.esize = 8; }
                                case "I32" -> { info.dtype = DType.INT32; info.esize = 4; }
                                case "U8" -> { info.dtype = DType.UINT8; info.esize = 1; }
                                case "BOOL" -> { info.dtype = DType.BOOL; info.esize = 1; }
                                case "F16", "BF16" -> { info.dtype = DType.FLOAT32; info.esize = 2; }
                                default -> throw new CheckpointException(src + ": '" + name + "' has dtype " + info.dtypeName + ", which is not read");
                            }
                        }
                        case "shape" -> info.shape = longs(p, src, name);
                        case "data_offsets" -> {
                            long[] o = longs(p, src, name);
                            if (o.length != 2) throw new CheckpointException(src + ": '" + name + "' data_offsets needs 2 numbers, got " + o.length);
                            info.begin = o[0];
                            info.end = o[1];
                        }
                        default -> p.skipChildren();
                    }
                }
                if (info.dtype == null || info.shape == null || info.begin < 0) {
                    throw new CheckpointException(src + ": header entry '" + name + "' lacks dtype, shape or data_offsets");
                }
                if (out.put(name, info) != null) throw new CheckpointException(src + ": tensor '" + name + "' appears twice in the header");
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CheckpointException(src + ": bad JSON header: " + e.getOriginalMessage(), e);
        }
        return out;
    }

    private static long[] longs(JsonParser p, String src, String name) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw new CheckpointException(src + ": '" + name + "' expects an array of integers");
        List<Long> v = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) throw new CheckpointException(src + ": '" + name + "' expects integers, got " + p.getText());
            v.add(p.getLongValue());
        }
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    private static String code(DType d) {
        return switch (d) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case UINT8 -> "U8";
            case BOOL -> "BOOL";
        };
    }
}
