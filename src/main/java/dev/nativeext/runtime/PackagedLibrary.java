package dev.nativeext.runtime;

import dev.nativeext.cache.BuildCache;
import dev.nativeext.cache.Hasher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds a library packed next to a class in JavaCPP's layout ({@code <package>/<platform>/lib<name>.so},
 * a {@code <platform>-cuda} variant preferred when asked for) and returns a file path that
 * {@code System.load} accepts: the resource itself when it is a file, else a verified copy
 * extracted into the cache (content-addressed, written atomically, so concurrent extractions and
 * killed ones are harmless).
 */
public final class PackagedLibrary {

    private static final ConcurrentHashMap<String, String> EXTRACTED = new ConcurrentHashMap<>();

    private PackagedLibrary() {
    }

    /**
     * The path of {@code lib<name>} packed beside {@code owner}. The {@code -cuda} variant is
     * preferred where the NVIDIA driver is installed, the plain one elsewhere; either is used when
     * it is the only one ({@code -Dnativeext.cuda.variant=false} forces the plain one first).
     */
    public static String extract(Class<?> owner, String name) {
        String forced = System.getProperty("nativeext.cuda.variant");
        boolean preferCuda = forced != null ? Boolean.parseBoolean(forced) : NvidiaDriver.present();
        return extract(owner, name, preferCuda);
    }

    /** Which variant was found for {@code owner}'s library: true for the {@code -cuda} one. */
    public static boolean isCudaVariant(String path) {
        return path.contains("-cuda/") || path.contains("-cuda\\");
    }

    public static String extract(Class<?> owner, String name, boolean preferCuda) {
        String pkg = owner.getPackageName().replace('.', '/');
        String file = Platform.libraryFileName(name);
        List<String> tried = new ArrayList<>();
        List<String> variants = preferCuda ? List.of(Platform.current() + "-cuda", Platform.current())
                : List.of(Platform.current(), Platform.current() + "-cuda");
        for (String v : variants) {
            String resource = (pkg.isEmpty() ? "" : pkg + "/") + v + "/" + file;
            tried.add(resource);
            URL url = owner.getClassLoader() == null ? ClassLoader.getSystemResource(resource) : owner.getClassLoader().getResource(resource);
            if (url != null) return EXTRACTED.computeIfAbsent(url.toString(), u -> materialise(url, file));
        }
        throw new UnsatisfiedLinkError("no native library " + file + " for platform " + Platform.current() + " beside "
                + owner.getName() + " (looked for the resources " + tried + "): the jar was built without it or for another platform");
    }

    private static String materialise(URL url, String file) {
        try {
            if ("file".equals(url.getProtocol())) return Path.of(url.toURI()).toString();
            byte[] bytes;
            try (InputStream in = url.openStream()) {
                bytes = in.readAllBytes();
            }
            Path tmpRoot = new BuildCache(BuildCache.defaultRoot()).root().resolve("packaged");
            Files.createDirectories(tmpRoot);
            Path tmp = Files.createTempFile(tmpRoot, "extract", ".tmp");
            Files.write(tmp, bytes);
            String sum = Hasher.sha256(tmp);
            Path target = tmpRoot.resolve(sum.substring(0, 16)).resolve(file);
            if (Files.isRegularFile(target) && sum.equals(Hasher.sha256(target))) {
                Files.delete(tmp);
            } else {
                Files.createDirectories(target.getParent());
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            return target.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + url + ": " + e.getMessage(), e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
