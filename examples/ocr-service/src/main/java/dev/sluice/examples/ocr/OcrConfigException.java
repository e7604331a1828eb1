package dev.sluice.examples.ocr;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * A process of the OCR service was configured in a way it cannot run ({@link OcrLayout}): its message names the
 * property and the model. Spring Boot prints it as a start-up failure ({@link Analyzer}) instead of a stack trace.
 */
public final class OcrConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public OcrConfigException(String message) {
        super(message);
    }

    /** "APPLICATION FAILED TO START" with the message, for a start that failed with an {@link OcrConfigException}. */
    public static final class Analyzer extends AbstractFailureAnalyzer<OcrConfigException> {
        @Override
        protected FailureAnalysis analyze(Throwable rootFailure, OcrConfigException cause) {
            return new FailureAnalysis("The OCR service's configuration is not one it can run: " + cause.getMessage(),
                    "Set sluice.ocr.models (the models this process deploys: det, cls, rec; empty for none) and "
                            + "sluice.ocr.remote.det, .cls, .rec (the servers of the models it calls elsewhere) so "
                            + "that each model is local or remote, not both; see the OCR service's README.",
                    cause);
        }
    }
}
