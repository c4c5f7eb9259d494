package demo;

import org.bytedeco.javacpp.DoublePointer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The project's own tests call the generated binding statically. */
class VecMathTest {

    @Test
    void callsTheNativeFunctions() {
        assertEquals(10, VecMath.vm_add(2, 3), "VM_SCALE=2 came from the POM's defineMacros");
        try (DoublePointer x = new DoublePointer(3.0, 4.0)) {
            assertEquals(5.0, VecMath.vm_norm(2, x), 1e-12);
        }
    }
}
