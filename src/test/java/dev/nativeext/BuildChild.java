package dev.nativeext;

import java.nio.file.Path;

/**
 * Child JVM of {@link CrossProcessCacheTest}: builds (or finds) the vecmath example copied to
 * {@code args[1]} with the cache at {@code args[0]}, calls {@code vm_add(2, 3)} and prints
 * {@code RESULT source=... sum=... compiled=... key=... library=...}; on failure prints
 * {@code ERROR <messages of the cause chain>} and exits 3.
 */
public final class BuildChild {

    /** The part of vecmath.h this child calls. */
    public interface Add {
        int vm_add(int a, int b);
    }

    private BuildChild() {
    }

    public static void main(String[] args) {
        try {
            NativeExtension ext = NativeExtension.builder("ext.vecmath").headers("vecmath.h").sources("vecmath.c")
                    .relativeTo(args[1]).cacheDir(Path.of(args[0])).create();
            int sum = ext.load(Add.class).vm_add(2, 3);
            BuildReport r = ext.lastReport();
            System.out.println("RESULT source=" + r.source() + " sum=" + sum + " compiled=" + r.objectsCompiled()
                    + " key=" + r.key() + " library=" + r.library());
            System.exit(0);
        } catch (Throwable t) {
            StringBuilder sb = new StringBuilder("ERROR");
            for (Throwable c = t; c != null; c = c.getCause()) sb.append(' ').append(c.getClass().getName()).append(": ").append(c.getMessage());
            System.out.println(sb);
            t.printStackTrace();
            System.exit(3);
        }
    }
}
