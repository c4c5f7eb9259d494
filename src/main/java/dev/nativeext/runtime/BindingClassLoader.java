package dev.nativeext.runtime;

/**
 * Defines one generated binding class. Each library gets its own loader: JNI ties a native
 * library to one class loader, and a fresh loader per build keeps rebuilt libraries apart.
 * Classes of nativeext and JavaCPP resolve through nativeext's own loader when the user's
 * loader cannot see them.
 */
public final class BindingClassLoader extends ClassLoader {

    private static final ClassLoader OWN = BindingClassLoader.class.getClassLoader();

    public BindingClassLoader(ClassLoader userLoader) {
        super("nativeext-binding", userLoader);
    }

    public Class<?> define(String className, byte[] bytes) {
        return defineClass(className, bytes, 0, bytes.length);
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (OWN != null && (name.startsWith("org.bytedeco.") || name.startsWith("dev.nativeext."))) {
            return OWN.loadClass(name);
        }
        throw new ClassNotFoundException(name);
    }
}
