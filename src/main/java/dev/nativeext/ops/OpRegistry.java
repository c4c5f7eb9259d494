package dev.nativeext.ops;

import dev.nativeext.tensor.Device;
import dev.nativeext.tensor.InFlight;
import dev.nativeext.tensor.Tensor;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Implementations of ops per device type, and dispatch on the device of a call's tensors, in the
 * spirit of {@code TORCH_LIBRARY_IMPL}: no if/else on devices in any op. A device type may
 * instead carry the reason it has no implementation ("built without CUDA"), which the error of a
 * call names.
 *
 * <p>Two layers: the built-in kernels of nativeext's own ops are a default layer, and every
 * {@link #register} goes into a layer above it that wins, whenever it happens: before the op's
 * first call, after it, before or after the built-ins were loaded. {@link #unregister} removes a
 * registration, and the built-in shows through again. Built-ins are installed lazily, once, by
 * the installer an op class declares with {@link #builtins}: on the first lookup of any of its
 * ops, so that loading an op class never loads a native library.
 *
 * <p>Every implementation is called through a guard: for the length of each call its tensor
 * arguments are held ({@link InFlight}), so none is freed mid-kernel, neither by its Cleaner nor
 * by a {@code close()} from another thread. This is the one place that rule lives for all ops,
 * built-in and registered.
 */
public final class OpRegistry {

    private static final OpRegistry GLOBAL = new OpRegistry();

    private record Entry(Object impl, String missingReason) {
    }

    /** Runs an op class's installer once; a failed install (e.g. a library that cannot load) is retried by the next lookup. */
    private static final class Installer {
        private final Runnable install;
        private volatile boolean done;

        Installer(Runnable install) {
            this.install = install;
        }

        void ensure() {
            if (done) return;
            synchronized (this) {
                if (done) return;
                install.run();
                done = true;
            }
        }
    }

    private final Map<String, Op<?>> ops = new ConcurrentHashMap<>();
    private final Map<String, Map<Device.Type, Entry>> registered = new ConcurrentHashMap<>();
    private final Map<String, Map<Device.Type, Entry>> builtin = new ConcurrentHashMap<>();
    private final Map<String, Installer> installers = new ConcurrentHashMap<>();

    /** The registry nativeext's own ops register in. */
    public static OpRegistry global() {
        return GLOBAL;
    }

    /** Declares {@code op}; declaring the same name with another signature is an error. */
    public <T> Op<T> define(Op<T> op) {
        Op<?> prior = ops.putIfAbsent(op.name(), op);
        if (prior != null && !prior.signature().equals(op.signature())) {
            throw new IllegalArgumentException("op '" + op.name() + "' is already defined with signature "
                    + prior.signature().getName() + ", not " + op.signature().getName());
        }
        registered.computeIfAbsent(op.name(), k -> new ConcurrentHashMap<>());
        builtin.computeIfAbsent(op.name(), k -> new ConcurrentHashMap<>());
        return op;
    }

    /**
     * Registers (or replaces) the implementation of {@code op} for {@code device}. It wins over a
     * built-in kernel for that device, whether the built-ins are installed before or after.
     */
    public <T> void register(Op<T> op, Device.Type device, T impl) {
        put(registered, op, device, impl);
    }

    /** Removes what {@link #register} put for {@code op} on {@code device}; a built-in kernel shows through again. */
    public void unregister(Op<?> op, Device.Type device) {
        Map<Device.Type, Entry> m = registered.get(op.name());
        if (m != null) m.remove(device);
    }

    /** {@code impl} behind a proxy that holds the tensor arguments of every call (see the class doc). */
    private static <T> T guarded(Op<T> op, T impl) {
        if (Proxy.isProxyClass(impl.getClass()) && Proxy.getInvocationHandler(impl) instanceof Guard) return impl;
        Map<Method, Method> callable = new HashMap<>();
        for (Method m : op.signature().getMethods()) {
            m.setAccessible(true);  // a package-private signature interface is legal
            callable.put(m, m);
        }
        Object proxy = Proxy.newProxyInstance(op.signature().getClassLoader(), new Class<?>[]{op.signature()},
                new Guard(op.name(), impl, callable));
        return op.signature().cast(proxy);
    }

    private record Guard(String op, Object impl, Map<Method, Method> callable) implements java.lang.reflect.InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            Method m = callable.get(method);
            if (m == null) {
                // equals, hashCode, toString
                return switch (method.getName()) {
                    case "equals" -> proxy == args[0];
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> op + " kernel " + impl;
                };
            }
            try (InFlight held = InFlight.ofArguments(op, args)) {
                return m.invoke(impl, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    /** Records why {@code op} has no implementation for {@code device}, unless one is registered. */
    public void unavailable(Op<?> op, Device.Type device, String reason) {
        define(op);
        registered.get(op.name()).putIfAbsent(device, new Entry(null, reason));
    }

    /**
     * Declares that {@code install} puts the built-in kernels of {@code ops} into the default
     * layer (with {@link #registerBuiltin} and {@link #builtinUnavailable}). It runs once, on the
     * first lookup of any of these ops; op classes call this from their static initialiser.
     */
    public void builtins(Runnable install, Op<?>... ops) {
        Installer installer = new Installer(install);
        for (Op<?> op : ops) {
            define(op);
            Installer prior = installers.putIfAbsent(op.name(), installer);
            if (prior != null) throw new IllegalStateException("op '" + op.name() + "' already has a built-in installer");
        }
    }

    /** Puts a built-in kernel: the default layer, which {@link #register} overrides. */
    public <T> void registerBuiltin(Op<T> op, Device.Type device, T impl) {
        put(builtin, op, device, impl);
    }

    /** Records why there is no built-in kernel of {@code op} for {@code device}. */
    public void builtinUnavailable(Op<?> op, Device.Type device, String reason) {
        define(op);
        builtin.get(op.name()).put(device, new Entry(null, reason));
    }

    public boolean has(Op<?> op, Device.Type device) {
        Entry e = lookup(op, device);
        return e != null && e.impl() != null;
    }

    /** The implementation for {@code device}, or a {@link NoKernelException} naming the op, the device and why. */
    public <T> T kernel(Op<T> op, Device device) {
        if (!ops.containsKey(op.name())) throw new NoKernelException("op '" + op.name() + "' is not defined");
        Entry e = lookup(op, device.type());
        if (e == null || e.impl() == null) {
            String why = e != null ? e.missingReason() : "no kernel registered for " + device.type().name().toLowerCase(java.util.Locale.ROOT);
            throw new NoKernelException("op '" + op.name() + "' cannot run on " + device + ": " + why);
        }
        return op.signature().cast(e.impl());
    }

    private <T> void put(Map<String, Map<Device.Type, Entry>> layer, Op<T> op, Device.Type device, T impl) {
        define(op);
        if (!op.signature().isInstance(impl)) {
            throw new IllegalArgumentException("implementation of '" + op.name() + "' does not implement " + op.signature().getName());
        }
        layer.get(op.name()).put(device, new Entry(guarded(op, impl), null));
    }

    /** A registration's implementation, else the built-in one, else the first reason found for none. */
    private Entry lookup(Op<?> op, Device.Type device) {
        Installer installer = installers.get(op.name());
        if (installer != null) installer.ensure();
        Map<Device.Type, Entry> user = registered.get(op.name());
        Map<Device.Type, Entry> base = builtin.get(op.name());
        Entry u = user == null ? null : user.get(device);
        if (u != null && u.impl() != null) return u;
        Entry b = base == null ? null : base.get(device);
        if (b != null && b.impl() != null) return b;
        return u != null ? u : b;
    }

    /**
     * The implementation for the device all {@code tensors} live on. Mixed devices are an
     * {@link IllegalArgumentException} naming each tensor's device.
     */
    public <T> T dispatch(Op<T> op, Tensor... tensors) {
        return kernel(op, commonDevice(op.name(), tensors));
    }

    static Device commonDevice(String opName, Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException(opName + ": no tensor to dispatch on");
        Device d = null;
        for (int k = 0; k < tensors.length; k++) {
            Tensor t = tensors[k];
            if (t == null) continue;
            if (t.isClosed()) throw new IllegalStateException(opName + ": argument " + (k + 1) + ", tensor " + t.describe() + " is closed");
            if (d == null) d = t.device();
            else if (!d.equals(t.device())) {
                List<String> all = new ArrayList<>();
                for (int i = 0; i < tensors.length; i++) all.add("argument " + (i + 1) + " on " + (tensors[i] == null ? "-" : tensors[i].device()));
                throw new IllegalArgumentException(opName + ": tensors on different devices (" + String.join(", ", all)
                        + "); move them to one device with Tensor.to(device)");
            }
        }
        if (d == null) throw new IllegalArgumentException(opName + ": no tensor to dispatch on");
        return d;
    }
}
