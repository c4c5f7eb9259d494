package demo;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The -cuda variant loads (-Dnativeext.cuda.variant=true) and, without a GPU, reports why. */
class VecScaleTest {

    @Test
    void theCudaVariantRunsOrSaysThereIsNoGpu() {
        assertEquals("cuda", VecScale.vs_backend());
        try (FloatPointer x = new FloatPointer(1f, 2f, 3f)) {
            int status = VecScale.vs_scale(3, 2f, x);
            if (status == 0) {
                assertEquals(6f, x.get(2));
            } else {
                String why = VecScale.vs_status_string(status);
                System.out.println("no GPU: status " + status + ": " + why);
                assertNotEquals(0, status);
                assertTrue(why.contains("driver") || why.contains("device"), why);
            }
        }
    }
}
