package dev.nativeext.ops;

import dev.nativeext.tensor.Tensor;

/** The CPU and CUDA implementations of {@link DeformConv2d.Kernel}: thin calls into the natives. */
final class DeformConvKernels {

    private DeformConvKernels() {
    }

    /** The CPU entry points' {@code gemm} argument, unused since they have their own GEMM (ne_gemm.h). */
    private static final long NO_GEMM = 0L;

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    record Cpu(String op) implements DeformConv2d.Kernel {
        @Override
        public void forward(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias, Tensor out,
                            long[] dims, long[] conv, long step) {
            Natives.check(DeformConvNative.ne_deform_conv_forward_cpu(input.dtype().code(), input.address(), offset.address(),
                    addr(mask), weight.address(), addr(bias), out.address(), dims, conv, step, NO_GEMM,
                    CpuOptions.threads(), CpuOptions.isa().code()), op);
        }

        @Override
        public void backward(Tensor gradOut, Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor gradInput,
                             Tensor gradOffset, Tensor gradMask, Tensor gradWeight, Tensor gradBias,
                             long[] dims, long[] conv, long step) {
            Natives.check(DeformConvNative.ne_deform_conv_backward_cpu(input.dtype().code(), gradOut.address(), input.address(),
                    offset.address(), addr(mask), weight.address(), gradInput.address(), gradOffset.address(), addr(gradMask),
                    gradWeight.address(), addr(gradBias), dims, conv, step, NO_GEMM,
                    CpuOptions.threads(), CpuOptions.isa().code()), op);
        }
    }

    /** The column workspace is a tensor on the device, freed (cudaFree synchronises) after the call. */
    record Cuda(String op) implements DeformConv2d.Kernel {
        private static long columns(long[] dims, long step) {
            return dims[1] * dims[5] * dims[6] * step * dims[7] * dims[8];
        }

        @Override
        public void forward(Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor bias, Tensor out,
                            long[] dims, long[] conv, long step) {
            DeformConvNative.LIBRARY.requireKernelImage(input.device());
            CudaGemm.select();
            try (Tensor ws = Tensor.empty(input.dtype(), input.device(), columns(dims, step))) {
                Natives.check(DeformConvNative.ne_deform_conv_forward_cuda(input.dtype().code(), input.address(), offset.address(),
                        addr(mask), weight.address(), addr(bias), out.address(), dims, conv, step, ws.address(), 0L), op);
            }
        }

        @Override
        public void backward(Tensor gradOut, Tensor input, Tensor offset, Tensor mask, Tensor weight, Tensor gradInput,
                             Tensor gradOffset, Tensor gradMask, Tensor gradWeight, Tensor gradBias,
                             long[] dims, long[] conv, long step) {
            DeformConvNative.LIBRARY.requireKernelImage(input.device());
            CudaGemm.select();
            try (Tensor ws = Tensor.empty(input.dtype(), input.device(), 2 * columns(dims, step))) {
                Natives.check(DeformConvNative.ne_deform_conv_backward_cuda(input.dtype().code(), gradOut.address(), input.address(),
                        offset.address(), addr(mask), weight.address(), gradInput.address(), gradOffset.address(), addr(gradMask),
                        gradWeight.address(), addr(gradBias), dims, conv, step, ws.address(), 0L), op);
            }
        }
    }
}
