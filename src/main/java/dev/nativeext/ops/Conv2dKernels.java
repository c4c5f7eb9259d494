package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/** The CPU and CUDA implementations of {@link Conv2d.Kernel}: thin calls into the natives. */
final class Conv2dKernels {

    private Conv2dKernels() {
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    /** Runs its GEMMs on nativeext's threads, with OpenBLAS single-threaded meanwhile. */
    static final class Cpu implements Conv2d.Kernel {
        @Override
        public void forward(Tensor input, Tensor weight, Tensor bias, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                            Tensor out, long[] dims, long[] conv, int algo) {
            long gemm = Cblas.gemmAddress(input.dtype());
            int status = Cblas.singleThreaded(() -> Conv2dNative.ne_conv2d_forward_cpu(input.dtype().code(), input.address(),
                    weight.address(), addr(bias), addr(scale), addr(shift), addr(residual), relu ? 1 : 0, out.address(), dims, conv,
                    algo, gemm, CpuOptions.threads(), CpuOptions.isa().code()));
            Natives.check(status, Conv2d.CONV2D.name());
        }
    }

    static final class Cuda implements Conv2d.Kernel {
        @Override
        public void forward(Tensor input, Tensor weight, Tensor bias, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                            Tensor out, long[] dims, long[] conv, int algo) {
            Conv2dNative.LIBRARY.requireKernelImage(input.device());
            CudaConv.select();
            Natives.check(Conv2dNative.ne_conv2d_forward_cuda(input.dtype().code(), input.address(), weight.address(), addr(bias),
                    addr(scale), addr(shift), addr(residual), relu ? 1 : 0, out.address(), dims, conv, 0L), Conv2d.CONV2D.name());
        }
    }
}
