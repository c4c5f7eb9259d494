package dev.nativeext.ops;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativesTest {

    @Test
    void javaStatusTextsMatchTheCLibrary() {
        for (int s : new int[]{0, 1, 2, 3, 4, 5, 6, 7, 99, 100, 113, 199, 200, 999, 1000, 1035, 99999, 100000, 103000}) {
            assertEquals(ElementwiseNative.ne_status_string(s), Natives.statusText(s), "status " + s);
        }
    }

    @Test
    void aFailedStatusNamesTheOpAndTheCode() {
        NativeOpException e = assertThrows(NativeOpException.class, () -> Natives.check(4, "roi_align"));
        assertEquals("roi_align failed: this library was built without CUDA (status 4)", e.getMessage());
        e = assertThrows(NativeOpException.class, () -> Natives.check(1035, "nms"));
        assertTrue(e.getMessage().startsWith("nms failed: CUDA error 35"), e.getMessage());
        assertEquals(1035, e.status());
        e = assertThrows(NativeOpException.class, () -> Natives.check(113, "deform_conv2d"));
        assertEquals("deform_conv2d failed: cuBLAS error 13 (a cublasStatus_t) (status 113)", e.getMessage());
        e = assertThrows(NativeOpException.class, () -> Natives.check(103000, "Conv2d"));
        assertEquals("Conv2d failed: cuDNN error 3000 (a cudnnStatus_t) (status 103000)", e.getMessage());
    }
}
