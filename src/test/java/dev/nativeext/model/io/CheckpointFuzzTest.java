package dev.nativeext.model.io;

import dev.nativeext.model.Fixtures;
import dev.nativeext.testing.Gen;
import dev.nativeext.testing.SeededCases;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint is untrusted input (issue 13): mutated {@code torch.save} archives (the zip's
 * headers and central directory, or a valid zip around a mutated pickle), mutated legacy
 * {@code torch.save} files (their five pickles, storage counts and length) and mutated safetensors
 * files (the JSON header or its length) are read or refused with a {@link CheckpointException}
 * naming the file, within a time bound, and nothing else is thrown: no IndexOutOfBounds,
 * ArithmeticException, OutOfMemoryError or StackOverflowError of the reader's own. A file that
 * is read gives tensors whose bytes can all be read. The cases are drawn by {@link SeededCases}
 * from fixed seeds; a failing one names its seed and its edits.
 */
class CheckpointFuzzTest {

    @TempDir
    static Path dir;

    private static final byte[] PTH = bytes(Fixtures.fixture("r50_fpn_retinanet", "weights.pth"));
    private static final byte[] SAFETENSORS = bytes(Fixtures.fixture("resnext_32x4_tiny", "io.safetensors"));
    /** The fixture archive's entries, in order (names and bytes), and which one is the pickle. */
    private static final Map<String, byte[]> ENTRIES = entries(Fixtures.fixture("r50_fpn_retinanet", "weights.pth"));
    private static final String PICKLE = ENTRIES.keySet().stream().filter(n -> n.endsWith("/data.pkl")).findFirst().orElseThrow();
    private static final byte[] LEGACY = bytes(Fixtures.fixture("tv_resnet_narrow", "weights_legacy.pth"));
    /** Where the legacy fixture's pickles end: the magic number's, the protocol's, sys_info's, the object's, the key list's. */
    private static final int[] LEGACY_ENDS = legacyEnds();

    /** A mutated file: what was done to it, and its bytes. */
    record Mutation(List<String> edits, byte[] bytes) {
        @Override
        public String toString() {
            return edits.toString();
        }
    }

    // ---- the zip layer: bytes, 32- and 64-bit fields, truncation, mostly in its headers -------

    private static final long[] EDGES = {0, 1, -1, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0xfffffffeL, 0x7fffffffffffffffL,
            Long.MIN_VALUE, 1L << 40, 46, 64};

    private static Mutation mutatedZip(Gen g) {
        byte[] b = PTH.clone();
        List<Integer> headers = signatures(b);
        List<String> edits = new ArrayList<>();
        int n = g.size(1, 4);
        for (int i = 0; i < n; i++) {
            // where: a field of a local or central header, the end records, or anywhere
            int at = switch (g.ints(0, 2)) {
                case 0 -> headers.get(g.ints(0, headers.size() - 1)) + g.ints(0, 46);
                case 1 -> b.length - 1 - g.ints(0, Math.min(b.length - 1, 2048));
                default -> g.ints(0, b.length - 1);
            };
            at = Math.max(0, Math.min(at, b.length - 1));
            switch (g.ints(0, 4)) {
                case 0 -> {
                    int v = g.pickInt(0, 0xff, 0x7f, 0x80, g.ints(0, 255));
                    b[at] = (byte) v;
                    edits.add("byte " + at + " = " + v);
                }
                case 1 -> {
                    long v = g.chance(0.3) ? b.length + g.ints(-64, 64) : EDGES[g.ints(0, EDGES.length - 1)];
                    put(b, at, v, 4);
                    edits.add("int32 at " + at + " = " + v);
                }
                case 2 -> {
                    long v = EDGES[g.ints(0, EDGES.length - 1)];
                    put(b, at, v, 8);
                    edits.add("int64 at " + at + " = " + v);
                }
                case 3 -> {
                    int len = g.ints(0, b.length - 1);
                    b = Arrays.copyOf(b, len);
                    edits.add("truncated to " + len);
                    if (b.length == 0) return new Mutation(edits, b);
                    headers = signatures(b);
                    if (headers.isEmpty()) headers = List.of(0);
                }
                default -> {
                    int len = g.ints(1, 256);
                    int end = Math.min(b.length, at + len);
                    byte[] c = new byte[b.length - (end - at)];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, end, c, at, b.length - end);
                    b = c;
                    edits.add("deleted " + (end - at) + " bytes at " + at);
                    if (b.length == 0) return new Mutation(edits, b);
                    headers = signatures(b);
                    if (headers.isEmpty()) headers = List.of(0);
                }
            }
        }
        return new Mutation(edits, b);
    }

    // ---- the pickle, in a valid zip: opcodes and their arguments --------------------------------

    /** Pickle fragments: every opcode the reader knows or names, lengths at their extremes, self-references. */
    private static final List<byte[]> PICKLE_FRAGMENTS = List.of(
            raw("]2a"), raw("}22s"), raw("]2]2aa"), raw("(2tq\u0000h\u0000"), raw("("), raw("t"), raw("0"), raw("1"), raw("2"), raw("e"),
            raw("u"), raw("d"), raw("s"), raw("a"), raw("R"), raw("Q"), raw("\u0081"), raw("b"), raw("\u0093"), raw("."), raw("N"),
            raw("\u0085"), raw("\u0086"), raw("\u0087"), raw(")"), raw("]"), raw("}"), raw("\u0094"),
            raw("X\u00ff\u00ff\u00ff\u007f"), raw("X\u0000\u0000\u0000\u0080"), raw("\u008d\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff"),
            raw("\u008d\u0000\u0000\u0000\u0080\u0000\u0000\u0000\u0000"), raw("B\u00ff\u00ff\u00ff\u00ff"), raw("J\u00ff\u00ff\u00ff\u00ff"),
            raw("J\u0000\u0000\u0000\u0080"), raw("\u008a\u0008\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u007f"),
            raw("\u008a\u0009\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001"), raw("\u008a\u00ff"), raw("h\u00ff"),
            raw("j\u00ff\u00ff\u00ff\u00ff"), raw("r\u00ff\u00ff\u00ff\u007f"), raw("cos\nsystem\n"), raw("ctorch\nFloatStorage\n"),
            raw("ctorch._utils\n_rebuild_tensor_v2\n"), raw("ccollections\nOrderedDict\n"), raw("c"), raw("\u0095\u00ff\u00ff"),
            raw("K\u00ff"), raw("M\u00ff\u00ff"), raw("G\u007f\u00f0\u0000\u0000\u0000\u0000\u0000\u0000"), raw("\u0080\u0002"),
            raw("(" .repeat(2000)), raw("]2a".repeat(50)), raw("\u0088"), raw("\u0089"), raw("i"), raw("\u0092"), raw("P"));

    private static Mutation mutatedPickle(Gen g) {
        byte[] p = ENTRIES.get(PICKLE);
        List<String> edits = new ArrayList<>();
        int n = g.size(1, 4);
        for (int i = 0; i < n; i++) {
            int at = g.ints(0, p.length);
            switch (g.ints(0, 5)) {
                case 0 -> { // a small int (BININT1: sizes, strides, offsets) made any 64-bit value (LONG1)
                    List<Integer> ints = new ArrayList<>();
                    for (int q = 0; q + 1 < p.length; q++) if (p[q] == 'K') ints.add(q);
                    if (ints.isEmpty()) break;
                    int q = ints.get(g.ints(0, ints.size() - 1));
                    long v = g.chance(0.5) ? EDGES[g.ints(0, EDGES.length - 1)] : g.longs(-3, 1 << 20);
                    byte[] long1 = new byte[10];
                    long1[0] = (byte) 0x8a;
                    long1[1] = 8;
                    put(long1, 2, v, 8);
                    p = splice(p, q, 2, long1);
                    edits.add("pickle: BININT1 at " + q + " -> " + v);
                }
                case 1 -> {
                    int f = g.ints(0, PICKLE_FRAGMENTS.size() - 1);
                    p = splice(p, at, 0, PICKLE_FRAGMENTS.get(f));
                    edits.add("pickle: fragment " + f + " inserted at " + at);
                }
                case 2 -> {
                    int f = g.ints(0, PICKLE_FRAGMENTS.size() - 1);
                    p = splice(p, at, Math.min(p.length - at, PICKLE_FRAGMENTS.get(f).length), PICKLE_FRAGMENTS.get(f));
                    edits.add("pickle: fragment " + f + " written over " + at);
                }
                case 3 -> {
                    if (at < p.length) {
                        int v = g.ints(0, 255);
                        p = p.clone();
                        p[at] = (byte) v;
                        edits.add("pickle: byte " + at + " = " + v);
                    }
                }
                default -> {
                    int len = Math.min(p.length - at, g.ints(1, 64));
                    p = splice(p, at, len, new byte[0]);
                    edits.add("pickle: deleted " + len + " bytes at " + at);
                }
            }
        }
        Map<String, byte[]> entries = new LinkedHashMap<>(ENTRIES);
        entries.put(PICKLE, p);
        return new Mutation(edits, storedZip(entries));
    }

    // ---- the legacy format: its pickles, the storages' element counts, its length ---------------

    private static Mutation mutatedLegacy(Gen g) {
        byte[] b = LEGACY.clone();
        List<String> edits = new ArrayList<>();
        int objectStart = LEGACY_ENDS[2], objectEnd = LEGACY_ENDS[3], keysEnd = LEGACY_ENDS[4];
        int n = g.size(1, 4);
        for (int i = 0; i < n && b.length > 0; i++) {
            switch (g.ints(0, 4)) {
                case 0 -> { // the first storage's element count, or a count a little further on
                    int at = Math.min(b.length - 1, keysEnd + (g.chance(0.6) ? 0 : g.ints(0, 4096)));
                    long v = g.chance(0.3) ? g.longs(-2, 1 << 20) : EDGES[g.ints(0, EDGES.length - 1)];
                    put(b, at, v, 8);
                    edits.add("int64 at " + at + " = " + v);
                }
                case 1 -> { // a fragment into the object pickle
                    int at = Math.min(b.length, g.ints(objectStart, objectEnd));
                    int f = g.ints(0, PICKLE_FRAGMENTS.size() - 1);
                    b = splice(b, at, 0, PICKLE_FRAGMENTS.get(f));
                    edits.add("fragment " + f + " inserted at " + at);
                }
                case 2 -> { // a byte of the pickles (the magic number, protocol and sys_info included)
                    int at = g.ints(0, Math.min(b.length, keysEnd) - 1);
                    int v = g.ints(0, 255);
                    b[at] = (byte) v;
                    edits.add("byte " + at + " = " + v);
                }
                case 3 -> {
                    int len = g.ints(0, b.length - 1);
                    b = Arrays.copyOf(b, len);
                    edits.add("truncated to " + len);
                }
                default -> {
                    int at = g.ints(0, b.length - 1);
                    int len = Math.min(b.length - at, g.ints(1, 64));
                    b = splice(b, at, len, new byte[0]);
                    edits.add("deleted " + len + " bytes at " + at);
                }
            }
        }
        return new Mutation(edits, b);
    }

    private static int[] legacyEnds() {
        ByteBuffer b = ByteBuffer.wrap(LEGACY);
        int[] ends = new int[5];
        ends[0] = 15;   // PROTO 2, LONG1 of the magic number, STOP
        for (int i = 1; i < 5; i++) ends[i] = Unpickler.loadAt(b, ends[i - 1], "fixture").end();
        return ends;
    }

    // ---- safetensors: its JSON header, and the header's length ----------------------------------

    private static final Pattern NUMBER = Pattern.compile("-?\\d+");
    private static final List<String> JSON_NUMBERS = List.of("-1", "0", "1", "2147483647", "2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999", "1e3", "1.5", "3037000500");
    private static final List<String> JSON_FRAGMENTS = List.of("{", "}", "[", "]", ",", ":", "\"", "null", "true", "\"F16\"",
            "\"BF16\"", "\"F64\"", "\"Q8\"", "\"U8\"", "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "[]", "{}",
            "[".repeat(3000), "{\"a\":".repeat(3000), "\u00e9", "\\u0000", "\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},");

    private static Mutation mutatedSafetensors(Gen g) {
        ByteBuffer head = ByteBuffer.wrap(SAFETENSORS).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) head.getLong(0);
        String json = new String(SAFETENSORS, 8, n, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(SAFETENSORS, 8 + n, SAFETENSORS.length);
        List<String> edits = new ArrayList<>();
        int count = g.size(1, 4);
        Long length = null;
        for (int i = 0; i < count; i++) {
            switch (g.ints(0, 3)) {
                case 0, 1 -> { // a number: a shape, an offset
                    List<int[]> spans = new ArrayList<>();
                    Matcher m = NUMBER.matcher(json);
                    while (m.find()) spans.add(new int[] {m.start(), m.end()});
                    if (spans.isEmpty()) break;
                    int[] s = spans.get(g.ints(0, spans.size() - 1));
                    String v = JSON_NUMBERS.get(g.ints(0, JSON_NUMBERS.size() - 1));
                    edits.add("header: " + json.substring(s[0], s[1]) + " at " + s[0] + " -> " + v);
                    json = json.substring(0, s[0]) + v + json.substring(s[1]);
                }
                case 2 -> {
                    int at = g.ints(0, json.length());
                    String f = JSON_FRAGMENTS.get(g.ints(0, JSON_FRAGMENTS.size() - 1));
                    int cut = g.bool() ? 0 : Math.min(json.length() - at, g.ints(1, 8));
                    edits.add("header: " + cut + " chars at " + at + " -> " + (f.length() > 40 ? f.substring(0, 12) + "...(" + f.length() + ")" : f));
                    json = json.substring(0, at) + f + json.substring(at + cut);
                }
                default -> {
                    length = g.chance(0.5) ? EDGES[g.ints(0, EDGES.length - 1)] : (long) n + g.ints(-16, 16);
                    edits.add("header length = " + length);
                }
            }
        }
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(length != null ? length : h.length).put(h).put(data);
        return new Mutation(edits, out.array());
    }

    // ---- the properties ------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> aMutatedArchiveIsReadOrRefusedByName() {
        return SeededCases.of(0x7A1F2026L, 300, CheckpointFuzzTest::mutatedZip, m -> readsOrRefuses(m, "pth"));
    }

    @TestFactory
    Stream<DynamicTest> aMutatedPickleIsReadOrRefusedByName() {
        return SeededCases.of(0x91C1E2026L, 400, CheckpointFuzzTest::mutatedPickle, m -> readsOrRefuses(m, "pth"));
    }

    @TestFactory
    Stream<DynamicTest> aMutatedLegacyFileIsReadOrRefusedByName() {
        return SeededCases.of(0x1E6AC72026L, 300, CheckpointFuzzTest::mutatedLegacy, m -> readsOrRefuses(m, "pth"));
    }

    @TestFactory
    Stream<DynamicTest> aMutatedSafetensorsFileIsReadOrRefusedByName() {
        return SeededCases.of(0x5AFE2026L, 300, CheckpointFuzzTest::mutatedSafetensors, m -> readsOrRefuses(m, "safetensors"));
    }

    private static void readsOrRefuses(Mutation m, String ext) throws IOException {
        Path f = Files.write(dir.resolve("mutated." + ext), m.bytes());
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (StateDict sd = Checkpoints.read(f)) {
                for (Tensor t : sd.asMap().values()) t.toRawBytes();
            } catch (CheckpointException e) {
                assertTrue(e.getMessage().contains(f.toString()), () -> "the message names the file: " + e.getMessage());
            }
        }, "reading took more than 10 s");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] raw(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Map<String, byte[]> entries(Path zip) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (Enumeration<? extends ZipEntry> en = z.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The entries as a zip of stored entries, as torch.save writes them. */
    private static byte[] storedZip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bo)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                z.setCompressedSize(e.getValue().length);
                z.setCrc(crc.getValue());
                out.putNextEntry(z);
                out.write(e.getValue());
                out.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bo.toByteArray();
    }

    /** Offsets of the zip's local ("PK\3\4"), central ("PK\1\2") and end ("PK\5\6", "PK\6\6", "PK\6\7") records. */
    private static List<Integer> signatures(byte[] b) {
        List<Integer> at = new ArrayList<>();
        for (int i = 0; i + 3 < b.length; i++) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] >= 1 && b[i + 2] <= 7 && b[i + 3] >= 1 && b[i + 3] <= 8) at.add(i);
        }
        return at.isEmpty() ? List.of(0) : at;
    }

    private static void put(byte[] b, int at, long v, int width) {
        for (int i = 0; i < width && at + i < b.length; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] c = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(insert, 0, c, at, insert.length);
        System.arraycopy(b, at + remove, c, at + insert.length, b.length - at - remove);
        return c;
    }
}
