package dev.nativeext.ops;

import dev.nativeext.tensor.Cuda;

/**
 * Turns the status of a call into nativeext's own natives into one exception naming the op. The
 * texts mirror {@code include/ne_status.h}; a test checks them against the C library's.
 */
final class Natives {

    static final int CUBLAS_ERROR_BASE = 100;
    static final int CUDA_ERROR_BASE = 1000;
    static final int CUDNN_ERROR_BASE = 100000;

    private Natives() {
    }

    static String statusText(int status) {
        return switch (status) {
            case 0 -> "ok";
            case 1 -> "invalid argument";
            case 2 -> "unsupported dtype";
            case 3 -> "out of memory";
            case 4 -> "this library was built without CUDA";
            case 5 -> "index out of range";
            case 6 -> "a run-time library could not be loaded";
            case 7 -> "integer division by zero";
            default -> {
                if (status >= CUDNN_ERROR_BASE) yield "cuDNN error";
                if (status >= CUDA_ERROR_BASE) yield "CUDA error";
                yield isCublas(status) ? "cuBLAS error" : "unknown status";
            }
        };
    }

    private static boolean isCublas(int status) {
        return status >= CUBLAS_ERROR_BASE && status < CUBLAS_ERROR_BASE + 100;
    }

    static void check(int status, String op) {
        if (status == 0) return;
        String text = statusText(status);
        if (status >= CUDNN_ERROR_BASE) {
            text = text + " " + (status - CUDNN_ERROR_BASE) + " (a cudnnStatus_t)";
        } else if (status >= CUDA_ERROR_BASE) {
            int code = status - CUDA_ERROR_BASE;
            text = text + " " + code + (Cuda.isAvailable() ? "" : " (CUDA unavailable: " + Cuda.unavailableReason() + ")");
        } else if (isCublas(status)) {
            text = text + " " + (status - CUBLAS_ERROR_BASE) + " (a cublasStatus_t)";
        }
        throw new NativeOpException(op, status, text);
    }
}
