package dev.nativeext.binding;

import java.util.List;

/** A Java interface does not match the header it is meant to bind; lists every mismatch. */
public final class BindingMismatchException extends IllegalArgumentException {

    private final List<String> problems;

    public BindingMismatchException(Class<?> api, List<String> problems) {
        super((api.isInterface() ? "interface " : "class ") + api.getName() + " does not match its header:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
