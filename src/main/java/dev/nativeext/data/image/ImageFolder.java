package dev.nativeext.data.image;

import dev.nativeext.data.Dataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code .jpg}, {@code .jpeg} and {@code .png} files of one folder (not recursive), sorted by
 * name, decoded on {@code get}. A file that fails to decode fails its {@code get} with an
 * {@link ImageDecodeException} naming it.
 */
public final class ImageFolder implements Dataset<ByteImage> {

    private final Path folder;
    private final List<Path> files;

    public ImageFolder(Path folder) {
        this.folder = folder;
        if (!Files.isDirectory(folder)) throw new IllegalArgumentException("images folder " + folder + " does not exist or is not a folder");
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(Files::isRegularFile).filter(ImageFolder::isImage).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + folder, e);
        }
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png");
    }

    public Path folder() {
        return folder;
    }

    public List<Path> files() {
        return files;
    }

    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public ByteImage get(int index) {
        return ImageDecoder.read(files.get(index));
    }

    @Override
    public int size() {
        return files.size();
    }
}
