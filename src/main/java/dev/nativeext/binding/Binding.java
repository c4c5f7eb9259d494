package dev.nativeext.binding;

import java.util.List;

/**
 * Everything needed to generate one binding class and its JNI glue.
 *
 * @param className binary name of the class to generate, e.g. {@code ext.my_lib.MyLib}
 * @param api       the interface the class implements, or {@code null} for the static form
 * @param methods   the bound methods in declaration order
 */
public record Binding(String className, Class<?> api, List<BoundMethod> methods) {

    public Binding {
        methods = List.copyOf(methods);
    }

    /**
     * The name of the native method behind {@code m}. An interface binding's natives are private
     * statics beside the public instance methods, so they need a name of their own (the JVM tells
     * methods apart by name and descriptor only).
     */
    public String nativeName(BoundMethod m) {
        return api == null ? m.javaName() : "native$" + m.javaName();
    }

    public String internalName() {
        return className.replace('.', '/');
    }

    public String simpleName() {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    public String packageName() {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    /** A stable text of what the glue depends on; part of the library's cache key. */
    public String signatureText() {
        StringBuilder s = new StringBuilder(className).append('\n');
        if (api != null) s.append("implements ").append(api.getName()).append('\n');
        for (BoundMethod m : methods) {
            s.append(m.javaName()).append(m.descriptor()).append(m.nativeDescriptor()).append(" -> ").append(m.function().signature())
                    .append(' ').append(m.returnKind());
            m.parameters().forEach(p -> s.append(' ').append(p.kind()));
            s.append('\n');
        }
        return s.toString();
    }
}
