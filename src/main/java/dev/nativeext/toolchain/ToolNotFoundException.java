package dev.nativeext.toolchain;

import dev.nativeext.error.ExtensionBuildException;

import java.util.List;

/** A compiler the build needs is not installed where it was looked for. */
public final class ToolNotFoundException extends ExtensionBuildException {
    public ToolNotFoundException(String message) {
        super(message, List.of(), null);
    }
}
