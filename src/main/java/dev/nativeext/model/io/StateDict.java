package dev.nativeext.model.io;

import dev.nativeext.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Named tensors in file order, as a PyTorch {@code state_dict}: CPU tensors that this object owns
 * (closing it closes them, unless they were {@link #take taken}).
 */
public final class StateDict implements AutoCloseable {

    private final LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();

    public StateDict() {
    }

    /** Adds {@code t} under {@code name}, taking ownership; a duplicate name is refused. */
    public StateDict put(String name, Tensor t) {
        if (tensors.putIfAbsent(name, t) != null) throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        return this;
    }

    public Tensor get(String name) {
        return tensors.get(name);
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** Removes {@code name} and hands its tensor (and its ownership) to the caller. */
    public Tensor take(String name) {
        return tensors.remove(name);
    }

    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public Map<String, Tensor> asMap() {
        return Collections.unmodifiableMap(tensors);
    }

    public int size() {
        return tensors.size();
    }

    /** Bytes of every tensor together. */
    public long bytes() {
        long b = 0;
        for (Tensor t : tensors.values()) b += t.bytes();
        return b;
    }

    @Override
    public void close() {
        for (Tensor t : tensors.values()) t.close();
        tensors.clear();
    }
}
