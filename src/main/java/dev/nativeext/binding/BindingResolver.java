package dev.nativeext.binding;

import dev.nativeext.header.CFunction;
import dev.nativeext.header.CParameter;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Matches Java methods to C functions: either a user's interface (checked against the header,
 * every mismatch reported with the header line and both signatures) or the canonical static form
 * derived from the header alone.
 */
public final class BindingResolver {

    private BindingResolver() {
    }

    /** The static binding: one {@code public static native} method per function, JavaCPP pointers for pointers. */
    public static Binding canonical(String className, List<CFunction> functions) {
        List<BoundMethod> methods = new ArrayList<>();
        for (CFunction f : functions) {
            List<BoundParameter> ps = new ArrayList<>();
            for (CParameter p : f.parameters()) {
                Class<?> j = JavaTypes.canonicalArg(p.type());
                ps.add(new BoundParameter(p, j, JavaTypes.argKind(p.type(), j)));
            }
            Class<?> r = JavaTypes.canonicalReturn(f.returnType());
            methods.add(new BoundMethod(f, javaMethodName(f, functions), r, JavaTypes.returnKind(f.returnType(), r), ps));
        }
        return new Binding(className, null, methods);
    }

    /**
     * The static method's name for C function {@code f}: its own, or with a '_' appended when
     * that is a Java keyword or literal ({@code new}, {@code int}, {@code true}, ...), which no
     * method may be named; a header that also declares that name is an error naming both.
     */
    static String javaMethodName(CFunction f, List<CFunction> all) {
        String n = f.name();
        if (!javax.lang.model.SourceVersion.isKeyword(n) && !n.equals("_")) return n;
        String mapped = n + "_";
        for (CFunction g : all) {
            if (g.name().equals(mapped)) {
                throw new IllegalArgumentException("C function '" + n + "' (" + f.file().getFileName() + ":" + f.line()
                        + ") is a Java keyword and is bound as '" + mapped + "', which the header also declares ("
                        + g.file().getFileName() + ":" + g.line() + "); rename one of them");
            }
        }
        return mapped;
    }

    /**
     * The binding of {@code api}: each abstract method must name a function of the headers and
     * take and return types that can carry the C types. Default and static methods are left alone,
     * so an interface can add Java conveniences.
     *
     * @throws BindingMismatchException listing every problem found
     */
    public static Binding forInterface(String className, Class<?> api, List<CFunction> functions) {
        if (!api.isInterface()) {
            throw new IllegalArgumentException(api.getName() + " is not an interface; declare the functions to bind in a public interface");
        }
        if (!Modifier.isPublic(api.getModifiers())) {
            throw new IllegalArgumentException("interface " + api.getName() + " must be public: the generated binding class implements it from its own class loader");
        }
        Map<String, CFunction> byName = new LinkedHashMap<>();
        functions.forEach(f -> byName.put(f.name(), f));
        List<String> problems = new ArrayList<>();
        List<BoundMethod> methods = new ArrayList<>();
        Method[] declared = api.getMethods();
        // Stable order (getMethods has none): by name, then descriptor.
        Arrays.sort(declared, Comparator.comparing(Method::getName).thenComparing(Method::toGenericString));
        for (Method m : declared) {
            if (!Modifier.isAbstract(m.getModifiers())) continue;
            CFunction f = byName.get(m.getName());
            if (f == null) {
                problems.add(javaSig(api, m) + ": no function '" + m.getName() + "' is declared in the headers (they declare: "
                        + String.join(", ", byName.keySet()) + ")");
                continue;
            }
            BoundMethod b = match(api, m, f, problems);
            if (b != null) methods.add(b);
        }
        if (!problems.isEmpty()) throw new BindingMismatchException(api, problems);
        return new Binding(className, api, methods);
    }

    /**
     * The binding of a hand-written class's {@code static native} methods, each checked against
     * the headers as {@link #forInterface} checks an interface. Used for libraries built ahead of
     * time for a class that is compiled with the project (nativeext's own ops).
     */
    public static Binding forStaticClass(Class<?> natives, List<CFunction> functions) {
        Map<String, CFunction> byName = new LinkedHashMap<>();
        functions.forEach(f -> byName.put(f.name(), f));
        List<String> problems = new ArrayList<>();
        List<BoundMethod> methods = new ArrayList<>();
        Method[] declared = natives.getDeclaredMethods();
        Arrays.sort(declared, Comparator.comparing(Method::getName).thenComparing(Method::toGenericString));
        for (Method m : declared) {
            int mod = m.getModifiers();
            if (!Modifier.isNative(mod) || !Modifier.isStatic(mod)) continue;
            CFunction f = byName.get(m.getName());
            if (f == null) {
                problems.add(javaSig(natives, m) + ": no function '" + m.getName() + "' is declared in the headers");
                continue;
            }
            BoundMethod b = match(natives, m, f, problems);
            if (b != null && b.parameters().stream().anyMatch(p -> p.kind().convertedInJava())) {
                problems.add(javaSig(natives, m) + ": a native method cannot take a Tensor or CudaStream; declare a long"
                        + " address and convert in Java (interfaces passed to load() may take them)");
            } else if (b != null) {
                methods.add(b);
            }
        }
        if (methods.isEmpty() && problems.isEmpty()) problems.add(natives.getName() + " declares no static native method");
        if (!problems.isEmpty()) throw new BindingMismatchException(natives, problems);
        return new Binding(natives.getName(), null, methods);
    }

    private static BoundMethod match(Class<?> api, Method m, CFunction f, List<String> problems) {
        String both = javaSig(api, m) + " vs " + f.signature() + " at " + f.location();
        Class<?>[] jps = m.getParameterTypes();
        if (jps.length != f.parameters().size()) {
            problems.add(both + ": the C function takes " + f.parameters().size() + " parameter(s), the Java method " + jps.length);
            return null;
        }
        boolean ok = true;
        List<BoundParameter> ps = new ArrayList<>();
        for (int i = 0; i < jps.length; i++) {
            CParameter p = f.parameters().get(i);
            ArgKind k = JavaTypes.argKind(p.type(), jps[i]);
            if (k == null) {
                problems.add(both + ": parameter " + (i + 1) + " '" + p.name() + "' has C type '" + p.type().spelling()
                        + "', which " + jps[i].getSimpleName() + " cannot carry; use one of " + JavaTypes.accepted(p.type()));
                ok = false;
            } else {
                ps.add(new BoundParameter(p, jps[i], k));
            }
        }
        ReturnKind rk = JavaTypes.returnKind(f.returnType(), m.getReturnType());
        if (rk == null) {
            problems.add(both + ": returns C '" + f.returnType().spelling() + "', which " + m.getReturnType().getSimpleName()
                    + " cannot carry; use " + JavaTypes.canonicalReturn(f.returnType()).getSimpleName());
            ok = false;
        }
        return ok ? new BoundMethod(f, m.getName(), m.getReturnType(), rk, ps) : null;
    }

    private static String javaSig(Class<?> api, Method m) {
        return m.getReturnType().getSimpleName() + " " + api.getSimpleName() + "." + m.getName() + "("
                + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ")) + ")";
    }
}
