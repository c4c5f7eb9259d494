package dev.nativeext.model.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnpicklerTest {

    private static Object load(byte[] b) {
        return Unpickler.load(ByteBuffer.wrap(b), "test.pkl");
    }

    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) out.writeBytes(s.getBytes());
            else if (p instanceof Integer i) out.write(i);
            else if (p instanceof Character c) out.write(c);
            else out.writeBytes((byte[]) p);
        }
        return out.toByteArray();
    }

    @Test
    void readsTheDataOpcodesOfAStateDict() {
        // {'a': (1, -2, 3.5, True, None), 'b': [300, 70000]}, as pickle protocol 2 writes it
        byte[] p = bytes(0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0, 0, "a", '(', 'K', 1, 'J', 0xfe, 0xff, 0xff, 0xff,
                'G', new byte[] {0x40, 0x0c, 0, 0, 0, 0, 0, 0}, 0x88, 'N', 't', 'X', 1, 0, 0, 0, "b",
                ']', '(', 'M', 0x2c, 0x01, 0x8a, 3, 0x70, 0x11, 0x01, 'e', 'u', '.');
        Object o = load(p);
        Map<?, ?> m = (Map<?, ?>) o;
        assertEquals(List.of(1L, -2L, 3.5, true), ((Unpickler.Tuple) m.get("a")).items().subList(0, 4));
        assertEquals(List.of(300L, 70000L), m.get("b"));
    }

    @Test
    void readsTensorsAndOrderedDicts() {
        // OrderedDict([('w', _rebuild_tensor_v2(persistent('storage', FloatStorage, '0', 'cpu', 6), 0, (2, 3), (3, 1), False, OrderedDict()))])
        byte[] p = bytes(0x80, 2, "ccollections\nOrderedDict\n", ')', 'R', '(', 'X', 1, 0, 0, 0, "w",
                "ctorch._utils\n_rebuild_tensor_v2\n", '(', '(', 'X', 7, 0, 0, 0, "storage", "ctorch\nFloatStorage\n",
                'X', 1, 0, 0, 0, "0", 'X', 3, 0, 0, 0, "cpu", 'K', 6, 't', 'Q', 'K', 0, 'K', 2, 'K', 3, 0x86, 'K', 3, 'K', 1,
                0x86, 0x89, "ccollections\nOrderedDict\n", ')', 'R', 't', 'R', 'u', '}', 'b', '.');
        Map<?, ?> m = (Map<?, ?>) load(p);
        Unpickler.TensorRef t = (Unpickler.TensorRef) m.get("w");
        assertEquals("0", t.storageKey());
        assertEquals("FloatStorage", t.storageType());
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertArrayEquals(new long[] {3, 1}, t.stride());
    }

    @Test
    void refusesEveryOtherGlobalNamingIt() {
        for (String g : List.of("os\nsystem\n", "builtins\neval\n", "torch\nload\n", "numpy.core.multiarray\n_reconstruct\n")) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> load(bytes(0x80, 2, "c" + g, ')', 'R', '.')));
            assertTrue(e.getMessage().contains("global " + g.replace('\n', '.').substring(0, g.length() - 1)), e.getMessage());
        }
    }

    @Test
    void refusesCodeOpcodesNamingThem() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(bytes(0x80, 2, '(', "ios\nsystem\n", '.')));
        assertTrue(e.getMessage().contains("opcode INST (0x69)") && e.getMessage().contains("byte 3"), e.getMessage());
        e = assertThrows(CheckpointException.class, () -> load(bytes(0x80, 4, 0x92, '.')));
        assertTrue(e.getMessage().contains("NEWOBJ_EX"), e.getMessage());
    }

    @Test
    void refusesABuildOnAnythingButADict() {
        byte[] p = bytes(0x80, 2, ']', '}', 'b', '.');
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(p));
        assertTrue(e.getMessage().contains("BUILD"), e.getMessage());
    }

    @Test
    void anUnhashableKeyIsRefusedAsPythonRefusesIt() {
        // {[...]: 1}, the list holding itself: Python raises TypeError (unhashable); hashing it
        // in Java would recurse without end
        byte[] p = bytes(0x80, 2, '}', ']', '2', 'a', 'K', 1, 's', '.');
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(p));
        assertTrue(e.getMessage().contains("a dict key that is a list") && e.getMessage().contains("byte 8"), e.getMessage());
        // a tuple key holding a dict, and tuples nested 40 deep
        CheckpointException d = assertThrows(CheckpointException.class, () -> load(bytes(0x80, 2, '}', '}', 0x85, 'K', 1, 's', '.')));
        assertTrue(d.getMessage().contains("a dict key that is a dict"), d.getMessage());
        ByteArrayOutputStream nested = new ByteArrayOutputStream();
        nested.writeBytes(bytes(0x80, 2, '}', ')'));
        for (int i = 0; i < 40; i++) nested.write(0x85);
        nested.writeBytes(bytes('K', 1, 's', '.'));
        CheckpointException n = assertThrows(CheckpointException.class, () -> load(nested.toByteArray()));
        assertTrue(n.getMessage().contains("nested over 32 deep"), n.getMessage());
        // tuples of numbers and strings are keys, as in Python
        Map<?, ?> ok = (Map<?, ?>) load(bytes(0x80, 2, '}', 'K', 1, 'X', 1, 0, 0, 0, "a", 0x86, 'K', 2, 's', '.'));
        assertEquals(2L, ok.get(new Unpickler.Tuple(List.of(1L, "a"))));
    }

    @Test
    void aMessageAboutASelfContainingValuePrintsItInALine() {
        // a persistent id that is a list holding itself: refused, and the message stays short
        byte[] p = bytes(0x80, 2, ']', '2', 'a', 'Q', '.');
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(p));
        assertTrue(e.getMessage().contains("persistent id [[[1 items]]]"), e.getMessage());
        assertTrue(e.getMessage().length() < 400, e.getMessage());
    }

    @Test
    void anEightByteLengthPastThePickleIsRefused() {
        // BINUNICODE8 with a length of 2^40 (int overflow in a cast) and of -1
        for (long n : new long[] {1L << 40, -1}) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.writeBytes(bytes(0x80, 4, 0x8d));
            for (int i = 0; i < 8; i++) b.write((int) (n >>> (8 * i)));
            b.writeBytes(bytes("ab", '.'));
            CheckpointException e = assertThrows(CheckpointException.class, () -> load(b.toByteArray()));
            assertTrue(e.getMessage().contains("malformed pickle (length " + n), e.getMessage());
        }
    }

    @Test
    void aTruncatedPickleIsAnErrorNotACrash() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(bytes(0x80, 2, 'X', 100, 0, 0, 0, "ab")));
        assertTrue(e.getMessage().contains("test.pkl"), e.getMessage());
    }
}
