package dev.sluice.examples.ocr;

import dev.sluice.spring.http.HttpErrors;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;

/**
 * Multipart uploads are parsed by Spring before any controller runs, so their failures are answered here, in
 * the service's error format ({@code {"error": ...}}) rather than Boot's default error page.
 */
@RestControllerAdvice
class MultipartErrors {

    /** An upload over {@code spring.servlet.multipart.max-file-size} (or max-request-size). */
    @ExceptionHandler(MaxUploadSizeExceededException.class)
    ResponseEntity<byte[]> tooLarge(MaxUploadSizeExceededException e) {
        return HttpErrors.error(413, "the upload is larger than the limit"
                + (e.getMaxUploadSize() < 0 ? "" : " of " + e.getMaxUploadSize() + " bytes")
                + " (spring.servlet.multipart.max-file-size and max-request-size)");
    }

    /** A multipart body that cannot be parsed. */
    @ExceptionHandler(MultipartException.class)
    ResponseEntity<byte[]> unreadable(MultipartException e) {
        return HttpErrors.error(400, "the multipart body cannot be read: " + e.getMessage());
    }
}
