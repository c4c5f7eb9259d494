package dev.nativeext;

import dev.nativeext.tensor.Cuda;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test that needs a CUDA device: tagged {@code cuda} (so a GPU machine can run just
 * these), and reported as skipped, with the reason, where none is usable.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("cuda")
@ExtendWith(RequiresCuda.Condition.class)
public @interface RequiresCuda {

    final class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return Cuda.isAvailable() ? ConditionEvaluationResult.enabled("CUDA device available")
                    : ConditionEvaluationResult.disabled("CUDA unavailable: " + Cuda.unavailableReason());
        }
    }
}
