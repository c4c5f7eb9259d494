package dev.nativeext.binding;

/** JNI's name mangling and JVM descriptors (JNI specification, "Resolving Native Method Names"). */
public final class JniNames {

    private JniNames() {
    }

    /** The long form {@code Java_<class>_<method>__<args>}, which keeps overloads apart. */
    public static String nativeSymbol(String internalClassName, String method, String descriptor) {
        String args = descriptor.substring(1, descriptor.indexOf(')'));
        return "Java_" + mangle(internalClassName) + "_" + mangle(method) + "__" + mangle(args);
    }

    static String mangle(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/') b.append('_');
            else if (c == '_') b.append("_1");
            else if (c == ';') b.append("_2");
            else if (c == '[') b.append("_3");
            else if (c < 128 && Character.isLetterOrDigit(c)) b.append(c);
            else b.append(String.format("_0%04x", (int) c));
        }
        return b.toString();
    }

    public static String descriptor(Class<?> c) {
        if (c == void.class) return "V";
        if (c == boolean.class) return "Z";
        if (c == byte.class) return "B";
        if (c == char.class) return "C";
        if (c == short.class) return "S";
        if (c == int.class) return "I";
        if (c == long.class) return "J";
        if (c == float.class) return "F";
        if (c == double.class) return "D";
        if (c.isArray()) return c.getName().replace('.', '/');
        return "L" + c.getName().replace('.', '/') + ";";
    }

    /** The JNI C type of a Java type in a native method's signature. */
    public static String jniType(Class<?> c) {
        if (c == void.class) return "void";
        if (c == boolean.class) return "jboolean";
        if (c == byte.class) return "jbyte";
        if (c == char.class) return "jchar";
        if (c == short.class) return "jshort";
        if (c == int.class) return "jint";
        if (c == long.class) return "jlong";
        if (c == float.class) return "jfloat";
        if (c == double.class) return "jdouble";
        if (c == String.class) return "jstring";
        if (c.isArray()) return "j" + c.getComponentType().getName() + "Array";
        return "jobject";
    }
}
