package dev.nativeext.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries of a zip file with where their bytes start, so that stored (uncompressed) entries
 * can be memory-mapped instead of streamed: {@code torch.save} writes every storage stored and
 * 64-byte aligned. Zip64 archives are read too; compressed entries are inflated.
 */
final class ZipIndex {

    record Entry(String name, int method, long compressedSize, long size, long localHeaderOffset) {
    }

    private final FileChannel channel;
    private final String source;
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    ZipIndex(FileChannel channel, String source) throws IOException {
        this.channel = channel;
        this.source = source;
        readCentralDirectory();
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** The bytes of {@code e}: a read-only mapping when stored, an inflated copy otherwise. */
    ByteBuffer read(Entry e) throws IOException {
        ByteBuffer lh = readAt(e.localHeaderOffset(), 30);
        if (lh.getInt(0) != 0x04034b50) throw bad("no local header for " + e.name());
        long start = e.localHeaderOffset() + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
        long stored = e.method() == 0 ? e.size() : e.compressedSize();
        if (stored > channel.size() - start) {
            throw bad("entry " + e.name() + " has " + stored + " bytes from offset " + start + ", past the end of the " + channel.size() + "-byte file");
        }
        // A ByteBuffer holds at most 2 GiB: one storage (one tensor's bytes) of more is not read.
        if (e.size() > Integer.MAX_VALUE) throw bad("entry " + e.name() + " has " + e.size() + " bytes, over the 2 GiB one entry may have here");
        if (e.method() == 0) {
            if (e.size() == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            return channel.map(FileChannel.MapMode.READ_ONLY, start, e.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (e.method() != 8) throw bad("entry " + e.name() + " uses compression method " + e.method() + " (only stored and deflate)");
        // Deflate expands at most ~1032:1: a larger size claimed is not allocated before inflating.
        if (e.size() > 1032 * stored + 1024) {
            throw bad("entry " + e.name() + " claims " + e.size() + " bytes inflated from " + stored + ", more than deflate can give");
        }
        // Read the compressed bytes by position: a stream over the channel would close it.
        ByteBuffer packed = readAt(start, (int) stored);
        java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
        try {
            inf.setInput(packed);
            ByteBuffer out = ByteBuffer.allocate((int) e.size());
            while (out.hasRemaining() && !inf.finished()) {
                if (inf.inflate(out) == 0 && (inf.needsInput() || inf.needsDictionary())) break;
            }
            if (out.hasRemaining()) throw bad("entry " + e.name() + " inflates to fewer than its " + e.size() + " bytes");
            return out.flip().order(ByteOrder.LITTLE_ENDIAN);
        } catch (java.util.zip.DataFormatException ex) {
            throw bad("entry " + e.name() + " is corrupt: " + ex.getMessage());
        } finally {
            inf.end();
        }
    }

    private void readCentralDirectory() throws IOException {
        long size = channel.size();
        int tail = (int) Math.min(size, 22 + 65535 + 20);
        ByteBuffer end = readAt(size - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (end.getInt(i) == 0x06054b50) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) throw bad("not a zip file (no end of central directory)");
        long count = end.getShort(eocd + 10) & 0xffff;
        long cdSize = end.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = end.getInt(eocd + 16) & 0xffffffffL;
        if (eocd >= 20 && end.getInt(eocd - 20) == 0x07064b50) { // zip64 locator
            long z64 = end.getLong(eocd - 20 + 8);
            ByteBuffer r = readAt(z64, 56);
            if (r.getInt(0) != 0x06064b50) throw bad("bad zip64 end of central directory");
            count = r.getLong(32);
            cdSize = r.getLong(40);
            cdOffset = r.getLong(48);
        }
        if (cdSize > size || cdOffset > size - cdSize) {
            throw bad("the central directory (" + cdSize + " bytes at offset " + cdOffset + ") is not inside the " + size + "-byte file");
        }
        ByteBuffer cd = readAt(cdOffset, (int) cdSize);
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p > cd.limit() - 46 || cd.getInt(p) != 0x02014b50) throw bad("bad central directory entry " + i);
            int method = cd.getShort(p + 10) & 0xffff;
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long usize = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff;
            int extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long offset = cd.getInt(p + 42) & 0xffffffffL;
            if (nameLen + extraLen + commentLen > cd.limit() - p - 46) throw bad("central directory entry " + i + " runs past the directory's end");
            byte[] nb = new byte[nameLen];
            cd.get(p + 46, nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            // Zip64 extra field: the 0xffffffff values, in order usize, csize, offset.
            int x = p + 46 + nameLen, xe = x + extraLen;
            while (x + 4 <= xe) {
                int id = cd.getShort(x) & 0xffff, len = cd.getShort(x + 2) & 0xffff;
                if (id == 0x0001) {
                    int q = x + 4, qe = Math.min(xe, q + len);
                    if (usize == 0xffffffffL && q + 8 <= qe) { usize = cd.getLong(q); q += 8; }
                    if (csize == 0xffffffffL && q + 8 <= qe) { csize = cd.getLong(q); q += 8; }
                    if (offset == 0xffffffffL && q + 8 <= qe) offset = cd.getLong(q);
                }
                x += 4 + len;
            }
            if (usize < 0 || csize < 0 || offset < 0) throw bad("central directory entry " + i + " (" + name + ") has a negative size or offset");
            entries.put(name, new Entry(name, method, csize, usize, offset));
            p += 46 + nameLen + extraLen + commentLen;
        }
    }

    private ByteBuffer readAt(long position, int n) throws IOException {
        if (position < 0 || n < 0 || position > channel.size() - n) throw bad("offset " + position + " past the end of the file");
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) throw bad("file ends early");
        }
        return b.flip();
    }

    private CheckpointException bad(String what) {
        return new CheckpointException(source + ": " + what);
    }
}
