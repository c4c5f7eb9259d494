package dev.nativeext;

import dev.nativeext.binding.BindingMismatchException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calls through interfaces that use every kind of Java argument, against the fixtures' C. */
class BindingTest {

    @TempDir
    static Path cache;
    static NativeExtension scalars;
    static NativeExtension pointers;

    @BeforeAll
    static void build() {
        scalars = fixture("ok_scalars");
        pointers = fixture("ok_pointers");
    }

    static NativeExtension fixture(String name) {
        return NativeExtension.builder("binding." + name).headers("ext.h").sources("ext.c")
                .relativeTo(FixtureTest.FIXTURES.resolve(name).toString()).cacheDir(cache).create();
    }

    public interface Scalars {
        byte s_char(byte x);
        byte u_char(byte x);
        short u_short(short x);
        int u_int(int x);
        long s_long(long x);
        long u_llong(long x);
        long sz(long x);
        boolean flip(boolean x);
        boolean flip2(boolean x);
        float f32(float x);
        double f64(double x);
        double mixed(byte a, short b, int c, long d, float e, double f);
        void nothing();

        /** Default methods are Java conveniences, not bound. */
        default int twice(int x) {
            return 2 * x;
        }
    }

    @Test
    void scalarsKeepTheirBits() {
        Scalars s = scalars.load(Scalars.class);
        assertEquals((byte) -128, s.s_char((byte) 127), "signed char wraps");
        assertEquals((byte) 0, s.u_char((byte) 0xFF), "unsigned char 255 + 1 wraps to 0");
        assertEquals((short) 0x8000, s.u_short((short) 0x7FFF));
        assertEquals(0, s.u_int(-1), "0xFFFFFFFF + 1");
        assertEquals(Long.MIN_VALUE, s.s_long(Long.MAX_VALUE), "C long is 64 bits");
        assertEquals(0L, s.u_llong(-1L));
        assertEquals(42L, s.sz(41L));
        assertFalse(s.flip(true));
        assertTrue(s.flip2(false));
        assertEquals(2.5f, s.f32(1.5f));
        assertEquals(3.25, s.f64(2.25));
        assertEquals(1 + 2 + 3 + 4 + 5.5f + 6.25, s.mixed((byte) 1, (short) 2, 3, 4L, 5.5f, 6.25));
        s.nothing();
        assertEquals(8, s.twice(4));
    }

    public interface PointersWithJavaCpp {
        Pointer okp_new(long start);
        long okp_next(Pointer c);
        void okp_free(Pointer c);
        void okp_scale(long n, FloatPointer in, float k, FloatPointer out);
        long okp_sum_i64(long n, LongPointer x);
        int okp_strlen(String s);
        int okp_strlen(BytePointer s);
        String okp_name();
        FloatPointer okp_offset(FloatPointer base, long k);
        void okp_fill_bytes(Pointer dst, long n, byte value);
        int okp_is_null(Pointer p);
    }

    @Test
    void javaCppPointersPassTheirAddressAndPosition() {
        PointersWithJavaCpp p = pointers.load(PointersWithJavaCpp.class);
        Pointer counter = p.okp_new(7);
        assertEquals(7, p.okp_next(counter));
        assertEquals(8, p.okp_next(counter));
        p.okp_free(counter);
        try (FloatPointer in = new FloatPointer(1f, 2f, 3f, 4f); FloatPointer out = new FloatPointer(4)) {
            in.position(1);
            p.okp_scale(3, in, 10f, out);
            assertEquals(20f, out.get(0));
            assertEquals(40f, out.get(2));
            FloatPointer third = p.okp_offset(in.position(0), 2);
            assertEquals(in.address() + 8, third.address());
            assertEquals(3f, third.get(0));
        }
        try (LongPointer xs = new LongPointer(1L, 2L, 3L)) {
            assertEquals(6, p.okp_sum_i64(3, xs));
        }
        assertEquals(5, p.okp_strlen("héllo".substring(1)), "modified UTF-8 of 'éllo' is 5 bytes");
        assertEquals(-1, p.okp_strlen((String) null));
        try (BytePointer s = new BytePointer("abc")) {
            assertEquals(3, p.okp_strlen(s));
        }
        assertEquals("ok_pointers", p.okp_name());
        try (BytePointer b = new BytePointer(4)) {
            p.okp_fill_bytes(b, 4, (byte) 9);
            assertEquals(9, b.get(3));
        }
        assertEquals(1, p.okp_is_null(null));
    }

    public interface PointersWithBuffersAndArrays {
        void okp_scale(long n, float[] in, float k, float[] out);
        void okp_scale(long n, FloatBuffer in, float k, FloatBuffer out);
        long okp_sum_i64(long n, long[] x);
        void okp_fill_bytes(ByteBuffer dst, long n, byte value);
        void okp_fill_bytes(long address, long n, byte value);
    }

    @Test
    void buffersAndArraysAreAcceptedWhereTheInterfaceSaysSo() {
        PointersWithBuffersAndArrays p = pointers.load(PointersWithBuffersAndArrays.class);
        float[] out = new float[3];
        p.okp_scale(3, new float[]{1, 2, 3}, 2f, out);
        assertArrayEquals(new float[]{2, 4, 6}, out);
        assertEquals(10, p.okp_sum_i64(4, new long[]{1, 2, 3, 4}));

        FloatBuffer in = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asFloatBuffer();
        in.put(new float[]{1, 2, 3, 4}).position(2);
        FloatBuffer o = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asFloatBuffer();
        p.okp_scale(2, in, 3f, o);
        assertEquals(9f, o.get(0), "the buffer is passed from its position");
        assertEquals(12f, o.get(1));

        ByteBuffer heap = ByteBuffer.allocate(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.okp_fill_bytes(heap, 4, (byte) 1));
        assertTrue(e.getMessage().contains("argument 1 'dst' of okp_fill_bytes() must be a direct ByteBuffer"), e.getMessage());

        ByteBuffer direct = ByteBuffer.allocateDirect(4);
        try (BytePointer bp = new BytePointer(direct)) {
            p.okp_fill_bytes(bp.address(), 4, (byte) 5);
        }
        assertEquals(5, direct.get(3));
    }

    @Test
    void aSecondLoadInTheSameJvmReturnsTheLoadedBinding() {
        Scalars a = scalars.load(Scalars.class);
        Scalars b = fixture("ok_scalars").load(Scalars.class);
        assertSame(a, b);
        assertEquals(BuildReport.Source.JVM, NativeExtensionTestSupport.report(b, scalars));
    }

    public interface Misnamed {
        int s_int(int x);
        int no_such_function(int x);
    }

    public interface WrongTypes {
        int s_int(long x);
        float f64(double x);
        void okp_scale(long n, double[] in, float k, float[] out);
    }

    public interface WrongArity {
        int s_int(int x, int y);
    }

    @Test
    void interfaceMismatchesNameTheFunctionTheHeaderLineAndBothSignatures() {
        BindingMismatchException e = assertThrows(BindingMismatchException.class, () -> scalars.load(Misnamed.class));
        assertTrue(e.getMessage().contains("no function 'no_such_function'"), e.getMessage());

        e = assertThrows(BindingMismatchException.class, () -> scalars.load(WrongArity.class));
        assertTrue(e.getMessage().contains("int WrongArity.s_int(int, int) vs int s_int(int x) at "), e.getMessage());
        assertTrue(e.getMessage().contains("ok_scalars/ext.h:18"), e.getMessage());
        assertTrue(e.getMessage().contains("takes 1 parameter(s), the Java method 2"), e.getMessage());

        e = assertThrows(BindingMismatchException.class, () -> scalars.load(WrongTypes.class));
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("parameter 1 'x' has C type 'int', which long cannot carry"), e.getMessage());
        assertTrue(e.getMessage().contains("returns C 'real_t', which float cannot carry; use double"), e.getMessage());
        assertTrue(e.getMessage().contains("no function 'okp_scale'"), e.getMessage());
    }

    interface NotPublic {
        int s_int(int x);
    }

    @Test
    void anInterfaceMustBePublic() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scalars.load(NotPublic.class));
        assertTrue(e.getMessage().contains("must be public"), e.getMessage());
    }

    @Test
    void nullArgumentsBecomeNullPointersAndNullResultsNull() {
        PointersWithJavaCpp p = pointers.load(PointersWithJavaCpp.class);
        assertNull(p.okp_offset(null, 0), "NULL + 0 is NULL, returned as null");
    }
}
