package dev.nativeext.ops;

/** Checks every op makes before anything else: a required argument that is null is named. */
final class ArgChecks {

    private ArgChecks() {
    }

    /**
     * {@code namesAndValues}: name, value, name, value, ...; the first null value is an
     * {@link IllegalArgumentException} naming the op and the argument.
     */
    static void present(String op, Object... namesAndValues) {
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] == null) {
                throw new IllegalArgumentException(op + ": " + namesAndValues[i] + " is null; expected a value");
            }
        }
    }
}
