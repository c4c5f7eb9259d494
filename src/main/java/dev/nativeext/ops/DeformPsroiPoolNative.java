package dev.nativeext.ops;

/**
 * JNI entry points of {@code include/ne_deform_psroi_pool.h} ({@code libnativeext_deform_psroi_pool}),
 * checked against the header at build time.
 */
final class DeformPsroiPoolNative {

    static final NativeLibrary LIBRARY = NativeLibrary.load(DeformPsroiPoolNative.class, "nativeext_deform_psroi_pool");

    private DeformPsroiPoolNative() {
    }

    static native String ne_status_string(int status);

    static native int ne_deform_psroi_pool_forward_cpu(int dtype, long data, long n, long c, long h, long w, long rois, long k,
                                                       long trans, long numClasses, long outputDim, long pooled, long partSize,
                                                       long groupSize, long samplePerPart, double spatialScale, double transStd,
                                                       long output, long topCount, int threads, int isa);

    static native int ne_deform_psroi_pool_backward_cpu(int dtype, long gradOutput, long data, long n, long c, long h, long w,
                                                        long rois, long k, long trans, long numClasses, long outputDim,
                                                        long pooled, long partSize, long groupSize, long samplePerPart,
                                                        double spatialScale, double transStd, long topCount, long gradData,
                                                        long gradTrans, int threads, int isa);

    static native int ne_deform_psroi_pool_forward_cuda(int dtype, long data, long n, long c, long h, long w, long rois, long k,
                                                        long trans, long numClasses, long outputDim, long pooled, long partSize,
                                                        long groupSize, long samplePerPart, double spatialScale, double transStd,
                                                        long output, long topCount, long stream);

    static native int ne_deform_psroi_pool_backward_cuda(int dtype, long gradOutput, long data, long n, long c, long h, long w,
                                                         long rois, long k, long trans, long numClasses, long outputDim,
                                                         long pooled, long partSize, long groupSize, long samplePerPart,
                                                         double spatialScale, double transStd, long topCount, long gradData,
                                                         long gradTrans, long stream);
}
