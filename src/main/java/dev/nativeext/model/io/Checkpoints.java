package dev.nativeext.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens a checkpoint by its content: a zip is a {@code torch.save} file, anything else safetensors. */
public final class Checkpoints {

    private Checkpoints() {
    }

    public static StateDict read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            ch.read(magic, 0);
            if (magic.position() == 4 && magic.get(0) == 'P' && magic.get(1) == 'K') return TorchCheckpoint.read(file);
            if (magic.position() >= 2 && (magic.get(0) & 0xff) == 0x80) {
                throw new CheckpointException(file + ": a bare pickle (legacy torch.save before PyTorch 1.6, or a Detectron .pkl) is not read;"
                        + " re-save it with torch.save in a current PyTorch, or convert it to safetensors");
            }
        }
        return Safetensors.read(file);
    }
}
