package dev.nativeext.header;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An exported function declared in a header.
 *
 * @param name       the C symbol
 * @param returnType what it returns
 * @param parameters its parameters in order (empty for {@code f(void)})
 * @param file       the header that declares it
 * @param line       the 1-based line where the declaration starts
 */
public record CFunction(String name, CType returnType, List<CParameter> parameters, Path file, int line) {

    public CFunction {
        parameters = List.copyOf(parameters);
    }

    /** The declaration as C would print it, e.g. {@code int add(int a, int b)}. */
    public String signature() {
        return returnType.spelling() + " " + name + "(" + parameters.stream()
                .map(p -> p.type().spelling() + " " + p.name())
                .collect(Collectors.joining(", ")) + ")";
    }

    /** {@code file:line}, for messages. */
    public String location() {
        return file + ":" + line;
    }
}
