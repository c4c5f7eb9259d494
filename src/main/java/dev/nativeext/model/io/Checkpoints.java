package dev.nativeext.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens a checkpoint by its content, whatever its name: a zip is a {@code torch.save} file, a
 * pickle a legacy one (before PyTorch 1.6: {@link LegacyTorchCheckpoint}, which refuses other
 * pickles by name), an 8-byte length and a JSON object safetensors; anything else is refused,
 * naming the file.
 */
public final class Checkpoints {

    private Checkpoints() {
    }

    public static StateDict read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining()) {
                if (ch.read(head, head.position()) <= 0) break;
            }
            int n = head.position();
            if (n >= 4 && head.get(0) == 'P' && head.get(1) == 'K') return TorchCheckpoint.read(file);
            if (n >= 2 && (head.get(0) & 0xff) == 0x80) return LegacyTorchCheckpoint.read(file);
            // safetensors: an 8-byte header length that fits the file, then the JSON header's '{'
            long size = ch.size();
            if (n < 9 || !Safetensors.headerFits(head.getLong(0), size) || head.get(8) != '{') {
                throw new CheckpointException(file + ": neither a torch.save file (a zip) nor a safetensors file (" + size + " bytes)");
            }
        }
        return Safetensors.read(file);
    }
}
