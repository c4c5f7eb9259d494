package dev.nativeext.ops;

/**
 * JNI entry point of {@code include/ne_image_resize.h}, built into {@code libnativeext_image_resize}
 * by {@code dev.nativeext.internal.ProjectNatives}, which checks this declaration against the header.
 */
final class ImageResizeNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(ImageResizeNative.class, "nativeext_image_resize");

    private ImageResizeNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_image_resize_normalize(long h, long w, byte[] src, long outH, long outW,
                                                long hks, int[] hfirst, int[] hcount, int[] hweight,
                                                long vks, int[] vfirst, int[] vcount, int[] vweight,
                                                float[] lut, int[] planeSrc, int[] plain, float[] mean, float[] std,
                                                int flip, byte[] scratch, float[] out, int threads, int isa);

    static native int ne_image_resize_normalize_into(long h, long w, byte[] src, long outH, long outW,
                                                     long hks, int[] hfirst, int[] hcount, int[] hweight,
                                                     long vks, int[] vfirst, int[] vcount, int[] vweight,
                                                     float[] lut, int[] planeSrc, int[] plain, float[] mean, float[] std,
                                                     int flip, byte[] scratch, long out, long rowStride, long planeStride,
                                                     int threads, int isa);
}
