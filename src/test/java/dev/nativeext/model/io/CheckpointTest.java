package dev.nativeext.model.io;

import dev.nativeext.model.Fixtures;
import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointTest {

    /** Every tensor of every fixture checkpoint, against the float64 sums PyTorch wrote beside it. */
    @Test
    void readsTorchSaveFilesAsPyTorchWroteThem() throws IOException {
        List<String> all = new ArrayList<>(List.of(Fixtures.BACKBONE_FIXTURES));
        all.add("tv_resnet_narrow");
        for (String name : all) {
            try (StateDict sd = TorchCheckpoint.read(Fixtures.fixture(name, "weights.pth"));
                 StateDict io = Safetensors.read(Fixtures.fixture(name, "io.safetensors"))) {
                double[] sums = io.get("weight_sums").toDoubleArray();
                assertEquals(sums.length, sd.size(), name);
                int i = 0;
                for (Map.Entry<String, Tensor> e : sd.asMap().entrySet()) {
                    assertEquals(sums[i++], sum(e.getValue()), 1e-9 * Math.max(1, Math.abs(sums[i - 1])), name + " " + e.getKey());
                }
            }
        }
    }

    @Test
    void unwrapsMaskrcnnBenchmarksModelDictAndKeepsNamesAndShapes() throws IOException {
        try (StateDict sd = TorchCheckpoint.read(Fixtures.fixture("r50_c5_dcn_dg2", "weights.pth"))) {
            assertEquals("backbone.body.stem.conv1.weight", sd.names().iterator().next());
            assertArrayEquals(new long[] {4, 3, 7, 7}, sd.get("backbone.body.stem.conv1.weight").shape());
            // modulated DCN, deformable groups 2: 2 * 27 offset channels
            assertArrayEquals(new long[] {54, 2, 3, 3}, sd.get("backbone.body.layer1.0.conv2.offset.weight").shape());
            assertArrayEquals(new long[] {2, 1, 3, 3}, sd.get("backbone.body.layer1.0.conv2.conv.weight").shape());
            assertEquals(DType.FLOAT32, sd.get("backbone.body.layer1.0.conv2.offset.bias").dtype());
        }
    }

    @Test
    void readsInt64BuffersOfTorchvision() throws IOException {
        try (StateDict sd = TorchCheckpoint.read(Fixtures.fixture("tv_resnet_narrow", "weights.pth"))) {
            Tensor n = sd.get("bn1.num_batches_tracked");
            assertEquals(DType.INT64, n.dtype());
            assertEquals(0, n.shape().length);
            assertArrayEquals(new long[] {10, 128}, sd.get("fc.weight").shape());
        }
    }

    @Test
    void readsADeflatedCopyOfTheArchiveToo(@TempDir Path dir) throws IOException {
        Path src = Fixtures.fixture("resnext_32x4_tiny", "weights.pth");
        Path deflated = dir.resolve("deflated.pth");
        try (ZipFile in = new ZipFile(src.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(deflated))) {
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                out.putNextEntry(new ZipEntry(e.getName()));
                in.getInputStream(e).transferTo(out);
                out.closeEntry();
            }
        }
        try (StateDict a = TorchCheckpoint.read(src); StateDict b = Checkpoints.read(deflated)) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertArrayEquals(a.get(n).toRawBytes(), b.get(n).toRawBytes(), n);
        }
    }

    @Test
    void safetensorsRoundTripKeepsOrderShapesAndBits(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (Tensor a = Tensor.uniform(1, -1, 1, 2, 3, 4); Tensor b = Tensor.of(new long[] {7, -8}, 2);
             Tensor c = Tensor.of(new double[] {0.5}); Tensor empty = Tensor.of(new float[0], 0, 3)) {
            m.put("z.first", a);
            m.put("a.second", b);
            m.put("scalar", c);
            m.put("empty", empty);
            Safetensors.write(f, m, Map.of("format", "pt"));
            assertEquals(0, (Files.size(f) - 8 - 2 * 3 * 4 * 4 - 16 - 8) % 8, "data begins 8-byte aligned");
            try (StateDict r = Checkpoints.read(f)) {
                assertEquals(List.of("z.first", "a.second", "scalar", "empty"), List.copyOf(r.names()));
                for (String n : m.keySet()) {
                    assertArrayEquals(m.get(n).shape(), r.get(n).shape(), n);
                    assertEquals(m.get(n).dtype(), r.get(n).dtype(), n);
                    assertArrayEquals(m.get(n).toRawBytes(), r.get(n).toRawBytes(), n);
                }
            }
        }
    }

    @Test
    void safetensorsRefusesOffsetsOutsideTheData(@TempDir Path dir) throws IOException {
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}".getBytes();
        Path f = dir.resolve("bad.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
        out.write(header);
        out.write(new byte[8]);
        Files.write(f, out.toByteArray());
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.read(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("data_offsets"), e.getMessage());
    }

    @Test
    void halfPrecisionBecomesFloat32(@TempDir Path dir) throws IOException {
        byte[] header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}      "
                .getBytes();
        ByteBuffer f = ByteBuffer.allocate(8 + header.length + 10).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        f.putLong(header.length).put(header);
        for (int h : new int[] {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x3F80}) f.putShort((short) h);
        Path file = dir.resolve("half.safetensors");
        Files.write(file, f.array());
        try (StateDict sd = Safetensors.read(file)) {
            assertArrayEquals(new float[] {1f, -2f, 0.5f, 65504f}, sd.get("h").toFloatArray());
            assertArrayEquals(new float[] {1f}, sd.get("b").toFloatArray());
            assertEquals(DType.FLOAT32, sd.get("b").dtype());
        }
    }

    /** PyTorch 1.13's torch.save(..., _use_new_zipfile_serialization=False) of a fixture: the zip's tensors, bit for bit. */
    @Test
    void readsLegacyTorchSaveFilesAsTheZipHoldsThem() throws IOException {
        Path legacy = Fixtures.fixture("tv_resnet_narrow", "weights_legacy.pth");
        try (StateDict zip = TorchCheckpoint.read(Fixtures.fixture("tv_resnet_narrow", "weights.pth"));
             StateDict old = Checkpoints.read(legacy)) {
            assertEquals(List.copyOf(zip.names()), List.copyOf(old.names()));
            for (String name : zip.names()) {
                Tensor a = zip.get(name), b = old.get(name);
                assertEquals(a.dtype(), b.dtype(), name);
                assertArrayEquals(a.shape(), b.shape(), name);
                assertArrayEquals(a.toRawBytes(), b.toRawBytes(), name);
            }
        }
    }

    /**
     * What legacy files hold and torch.save no longer writes (tools/reference/legacy_checkpoints.py,
     * checked by PyTorch's own torch.load): maskrcnn-benchmark's {"model": ...} wrapping, a storage
     * view (view_metadata), _rebuild_tensor of PyTorch before 0.4, two tensors on one storage, a
     * float16 and a transposed tensor; each as torch.load gives it.
     */
    @Test
    void readsViewsOldRebuildsAndSharedStoragesOfLegacyFiles() throws IOException {
        try (StateDict sd = Checkpoints.read(Fixtures.fixture("legacy_views", "weights.pth"));
             StateDict want = Safetensors.read(Fixtures.fixture("legacy_views", "expected.safetensors"))) {
            assertEquals(List.copyOf(want.names()), List.copyOf(sd.names()));
            for (String name : want.names()) {
                assertArrayEquals(want.get(name).shape(), sd.get(name).shape(), name);
                assertArrayEquals(want.get(name).toFloatArray(), sd.get(name).toFloatArray(), 0f, name);
            }
            assertArrayEquals(new float[] {-0.5f, 0f, 0.5f, 1f}, sd.get("backbone.body.stem.bn1.bias").toFloatArray(), 0f, "the view");
        }
    }

    /** A legacy file cut inside its pickles or its storages, or whose storage count lies: refused, naming the file and what. */
    @Test
    void aTruncatedOrInconsistentLegacyFileIsRefusedByName(@TempDir Path dir) throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.fixture("tv_resnet_narrow", "weights_legacy.pth"));
        Path f = dir.resolve("cut.pth");
        Files.write(f, java.util.Arrays.copyOf(b, 2000));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().startsWith(f + ": the object pickle: pickle ends early"), e.getMessage());
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
        e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().startsWith(f + ": storage ") && e.getMessage().contains("runs past the end of the file"), e.getMessage());
        // the first storage's element count, just after the key list, made larger than its persistent id says
        ByteBuffer head = ByteBuffer.wrap(b);
        int at = 15;
        for (int i = 0; i < 4; i++) at = Unpickler.loadAt(head, at, "test").end();
        byte[] c = b.clone();
        c[at] ^= 1;
        Files.write(f, c);
        e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().startsWith(f + ": storage ") && e.getMessage().contains("its tensors' persistent id says"), e.getMessage());
    }

    /** A pickle that is not a torch.save file (a Detectron .pkl, a pickled object): refused as such. */
    @Test
    void aPickleThatIsNotATorchSaveFileIsRefusedAsSuch(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.pkl");
        Files.write(f, new byte[] {(byte) 0x80, 2, 'N', '.'});
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().startsWith(f + ": a pickle, but not a torch.save file"), e.getMessage());
    }

    /** A file that is neither format is named as such, whatever its extension says. */
    @Test
    void aFileOfNeitherFormatIsRefusedAsSuch(@TempDir Path dir) throws IOException {
        for (String text : new String[] {"", "garbage", "{\"w\": 1}", "\n".repeat(64)}) {
            Path f = Files.writeString(dir.resolve("w.pth"), text);
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
            assertEquals(f + ": neither a torch.save file (a zip) nor a safetensors file (" + text.length() + " bytes)", e.getMessage());
        }
    }

    /** A torch.save-shaped zip whose data.pkl calls os.system: refused, naming the global, nothing run. */
    @Test
    void refusesAMaliciousPickleNamingTheGlobal(@TempDir Path dir) throws IOException {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.write(new byte[] {(byte) 0x80, 2});
        p.write("cposix\nsystem\n".getBytes());
        p.write(new byte[] {'X', 9, 0, 0, 0});
        p.write("touch pwn".getBytes());
        p.write(new byte[] {(byte) 0x85, 'R', '.'});
        Path f = dir.resolve("evil.pth");
        try (OutputStream os = Files.newOutputStream(f); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(p.toByteArray());
            z.closeEntry();
        }
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().contains("global posix.system"), e.getMessage());
    }

    /** Sizes in the zip's directory that point past the file are refused by name, not mapped or allocated. */
    @Test
    void aZipWhoseDirectoryPointsPastTheFileIsRefused(@TempDir Path dir) throws IOException {
        byte[] pth = Files.readAllBytes(Fixtures.fixture("resnext_32x4_tiny", "weights.pth"));
        ByteBuffer b = ByteBuffer.wrap(pth).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // the central header of storage data/0: its stored and inflated sizes made 2^31 - 16
        int cd = -1;
        for (int i = 0; i + 46 <= pth.length; i++) {
            if (b.getInt(i) == 0x02014b50 && new String(pth, i + 46, b.getShort(i + 28), java.nio.charset.StandardCharsets.UTF_8).endsWith("/data/0")) cd = i;
        }
        assertTrue(cd > 0, "the fixture has a storage data/0");
        Path f = dir.resolve("sizes.pth");
        ByteBuffer sizes = ByteBuffer.wrap(pth.clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        sizes.putInt(cd + 20, Integer.MAX_VALUE - 15).putInt(cd + 24, Integer.MAX_VALUE - 15);
        Files.write(f, sizes.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().contains("past the end of the " + pth.length + "-byte file") && e.getMessage().contains("entry "), e.getMessage());
        // the directory's size in the end record made 4 GiB - 1 (in the zip64 one, which
        // torch.save writes, where there is one)
        int eocd = pth.length - 22;
        assertEquals(0x06054b50, b.getInt(eocd));
        ByteBuffer directory = ByteBuffer.wrap(pth.clone()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(eocd - 20) == 0x07064b50) directory.putLong((int) b.getLong(eocd - 12) + 40, 0xffffffffL);
        else directory.putInt(eocd + 12, -1);
        Files.write(f, directory.array());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().contains("the central directory (4294967295 bytes"), e.getMessage());
    }

    @Test
    void safetensorsRefusesAShapeThatOverflowsAndAHeaderThatIsNotUtf8(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        byte[] header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}".getBytes();
        Files.write(f, ByteBuffer.allocate(8 + header.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length).put(header).array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().contains("'w': shape [4294967296, 4294967296] overflows"), e.getMessage());
        byte[] latin1 = {'{', '"', (byte) 0xe9, '"', ':', '{', '}', '}'};
        Files.write(f, ByteBuffer.allocate(8 + latin1.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(latin1.length).put(latin1).array());
        e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f));
        assertTrue(e.getMessage().contains("header is not UTF-8"), e.getMessage());
    }

    private static double sum(Tensor t) {
        double s = 0;
        switch (t.dtype()) {
            case FLOAT32 -> { for (float v : t.toFloatArray()) s += v; }
            case FLOAT64 -> { for (double v : t.toDoubleArray()) s += v; }
            case INT64 -> { for (long v : t.toLongArray()) s += v; }
            default -> throw new AssertionError(t.dtype());
        }
        return s;
    }
}
