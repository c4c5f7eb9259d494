package dev.nativeext;

/** Small helpers shared by tests. */
final class NativeExtensionTestSupport {
    private NativeExtensionTestSupport() {
    }

    /** The source of the last load, asserting that a binding object was obtained. */
    static BuildReport.Source report(Object binding, NativeExtension ext) {
        if (binding == null) throw new AssertionError("no binding");
        return ext.lastReport().source();
    }
}
