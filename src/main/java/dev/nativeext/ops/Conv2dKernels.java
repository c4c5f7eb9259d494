package dev.nativeext.ops;

import dev.nativeext.tensor.DType;
import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.Tensor;

import java.util.Arrays;

/** The CPU and CUDA implementations of {@link Conv2d.Kernel}: thin calls into the natives. */
final class Conv2dKernels {

    private Conv2dKernels() {
    }

    private static long addr(Tensor t) {
        return t == null ? 0L : t.address();
    }

    /** Runs on nativeext's threads ({@link CpuOptions}); the GEMM is the project's own (no BLAS). */
    static final class Cpu implements Conv2d.Kernel {
        @Override
        public void forward(Tensor input, Tensor weight, Tensor bias, Tensor scale, Tensor shift, Tensor residual, boolean relu,
                            Tensor out, long[] dims, long[] conv, int algo) {
            Natives.check(Conv2dNative.ne_conv2d_forward_cpu(input.dtype().code(), input.address(), weight.address(), addr(bias),
                    addr(scale), addr(shift), addr(residual), relu ? 1 : 0, out.address(), dims, conv, algo, CpuOptions.threads(),
                    CpuOptions.isa().code()), Conv2d.CONV2D.name());
        }

        @Override
        public void forwardPrepared(PreparedConv2d p, Tensor input, Tensor residual, boolean relu, Tensor out, long[] dims,
                                    long[] conv, int algo) {
            int isa = CpuOptions.isa().code();   /* read once: the buffer is the route of this isa */
            Tensor prep = prepared(p, dims, conv, algo, isa);
            Natives.check(Conv2dNative.ne_conv2d_forward_prepared_cpu(input.dtype().code(), input.address(), prep.address(),
                    prep.bytes(), addr(residual), relu ? 1 : 0, out.address(), dims, conv, CpuOptions.threads(), isa),
                    Conv2d.CONV2D.name());
        }

        /** The direct kernel's shapes (the RGB stem): conv and pool in one pass (ne_conv2d_direct_paths.h). */
        @Override
        public boolean forwardPreparedMaxPool(PreparedConv2d p, Tensor input, boolean relu, Tensor out, long[] dims, long[] conv,
                                              long[] pool) {
            // dims: N, C_in, H, W, C_out, kh, kw, H_out, W_out, groups; conv: sh, sw, ph, pw, dh, dw
            boolean fits = input.dtype() == DType.FLOAT32 && dims[9] == 1 && dims[1] <= 4 && conv[1] <= 2 && conv[5] == 1 && pool[0] <= 64;
            if (!fits) return false;
            int isa = CpuOptions.isa().code();
            Tensor prep = prepared(p, dims, conv, Conv2d.Algo.DIRECT.ordinal(), isa);
            Natives.check(Conv2dNative.ne_conv2d_forward_prepared_max_pool_cpu(input.dtype().code(), input.address(), prep.address(),
                    prep.bytes(), relu ? 1 : 0, out.address(), dims, conv, Arrays.copyOf(pool, 8), new long[] {out.shape(2), out.shape(3)},
                    CpuOptions.threads(), isa), Conv2d.CONV2D.name());
            return true;
        }

        @Override
        public void prepare(PreparedConv2d p, long[] dims, long[] conv, int algo) {
            prepared(p, dims, conv, algo, CpuOptions.isa().code());
        }

        /**
         * The buffer of the path these shapes run on isa, prepared on first use (the
         * path, with its AMX route or not, follows from the shapes and the isa: the forward
         * refuses a buffer of the other route).
         */
        private static Tensor prepared(PreparedConv2d p, long[] dims, long[] conv, int algo, int isa) {
            Tensor known = p.lastPrepared(dims, conv, algo, isa);
            if (known != null) return known;
            DType dt = p.weight().dtype();
            int[] path = new int[1];
            Natives.check(Conv2dNative.ne_conv2d_path_cpu(dt.code(), dims, conv, algo, isa, path), Conv2d.CONV2D.name());
            long[] bytes = new long[1];
            Natives.check(Conv2dNative.ne_conv2d_prepared_bytes_cpu(dt.code(), dims, conv, path[0], bytes), Conv2d.CONV2D.name());
            return p.prepared(path[0], dims, conv, algo, isa, n -> {
                Tensor t = Tensor.empty(DType.UINT8, Device.CPU, n);
                try {
                    Natives.check(Conv2dNative.ne_conv2d_prepare_cpu(dt.code(), p.weight().address(), addr(p.bias()), addr(p.scale()),
                            addr(p.shift()), dims, conv, path[0], t.address(), n, CpuOptions.threads(), isa),
                            Conv2d.CONV2D.name());
                } catch (RuntimeException e) {
                    t.close();
                    throw e;
                }
                return t;
            }, bytes[0]);
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
