package dev.nativeext.binding;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Expected strings follow the JNI specification's table of escapes. */
class JniNamesTest {

    @Test
    void longNamesEscapeUnderscoresSemicolonsBracketsAndUnicode() {
        assertEquals("Java_ext_my_1lib_MyLib_add__II", JniNames.nativeSymbol("ext/my_lib/MyLib", "add", "(II)I"));
        assertEquals("Java_p_C_00024_00024nativeext_native_00024f__Lorg_bytedeco_javacpp_FloatPointer_2_3F",
                JniNames.nativeSymbol("p/C$$nativeext", "native$f", "(Lorg/bytedeco/javacpp/FloatPointer;[F)V"));
        assertEquals("Java_p_C_g__", JniNames.nativeSymbol("p/C", "g", "()V"));
        assertEquals("Java_p_C__000e9t_000e9__", JniNames.nativeSymbol("p/C", "\u00e9t\u00e9", "()V"));
    }

    @Test
    void descriptorsAndJniTypes() {
        assertEquals("[J", JniNames.descriptor(long[].class));
        assertEquals("Ljava/lang/String;", JniNames.descriptor(String.class));
        assertEquals("jfloatArray", JniNames.jniType(float[].class));
        assertEquals("jobject", JniNames.jniType(java.nio.FloatBuffer.class));
        assertEquals("jboolean", JniNames.jniType(boolean.class));
    }
}
