package dev.nativeext;

import dev.nativeext.toolchain.ToolLocator;
import dev.nativeext.toolchain.ToolNotFoundException;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that compiles CUDA with nvcc: reported as skipped, with where nvcc was looked for
 * and how to get it, where there is none (the build then skipped the CUDA variants too, with a
 * warning; on CI it fails instead, see {@code ProjectNatives}). No GPU is needed.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresNvcc.Condition.class)
public @interface RequiresNvcc {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            try {
                new ToolLocator(null).locate(ToolLocator.CUDA_COMPILER);
                return ConditionEvaluationResult.enabled("nvcc found");
            } catch (ToolNotFoundException e) {
                return ConditionEvaluationResult.disabled("needs nvcc, not found: " + e.getMessage());
            }
        }
    }
}
