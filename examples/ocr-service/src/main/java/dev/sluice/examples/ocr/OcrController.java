package dev.sluice.examples.ocr;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Result;
import dev.sluice.spring.HttpResponses;
import dev.sluice.spring.http.TraceFlag;
import dev.sluice.spring.oip.Failures;
import dev.sluice.spring.oip.OipResponse;
import dev.sluice.spring.oip.RequestBody;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /ocr}: an image (PNG, JPEG, GIF, BMP) as the raw body or as the multipart part {@code image}.
 * Answers JSON Lines ({@code application/x-ndjson}): one object per line of text, {@code text}, {@code confidence}
 * and {@code box}; nothing for an image without text. With {@code ?trace} ({@link TraceFlag}'s rule) one JSON object instead:
 * {@code {"lines": [...], "trace": {...}}}. Errors as the starter's endpoints: a body that is not an image (or
 * too large an image, judged from its header) 400, a body over {@code sluice.http.max-request-size} 413, a full
 * queue 429, a failure 500 with an error id.
 */
@RestController
public class OcrController {
    static final String NDJSON = "application/x-ndjson";

    private final OcrService ocr;
    private final long maxBytes;

    public OcrController(OcrService ocr, @Value("${sluice.http.max-request-size:32MB}") DataSize maxBytes) {
        this.ocr = ocr;
        this.maxBytes = maxBytes.toBytes();
    }

    @PostMapping("/ocr")
    public CompletableFuture<ResponseEntity<byte[]>> read(HttpServletRequest request) {
        boolean trace;
        byte[] image;
        try {
            // From the query string only: asking the request for a parameter would read a form-encoded body (what
            // curl --data-binary declares by default) as form fields, and the image with it.
            trace = TraceFlag.isRequested(request.getQueryString());
            image = image(request);
        } catch (RequestBody.TooLargeException e) {
            return done(Failures.error(413, e.getMessage()));
        } catch (InvalidInputException e) {
            return done(Failures.error(400, e.getMessage()));
        } catch (IOException | jakarta.servlet.ServletException e) {
            return done(Failures.error(400, "the request body could not be read: " + e.getMessage()));
        }
        return ocr.read(image).handle((result, failure) -> failure != null
                ? HttpResponses.entity(Failures.response("the OCR pipeline", failure))
                : answer(result, trace));
    }

    /** Any other method on /ocr: 405. */
    @RequestMapping("/ocr")
    public ResponseEntity<byte[]> postOnly(HttpServletRequest request) {
        return HttpResponses.entity(Failures.methodNotAllowed(request.getMethod(), request.getRequestURI(), "POST"));
    }

    private byte[] image(HttpServletRequest request)
            throws IOException, jakarta.servlet.ServletException, RequestBody.TooLargeException {
        String type = request.getContentType();
        if (type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
            Part part = request.getPart("image");
            if (part == null) {
                throw new InvalidInputException("a multipart request needs the image in a part named 'image'");
            }
            try (InputStream in = part.getInputStream()) {
                return RequestBody.read(in, part.getSize(), maxBytes);
            }
        }
        return RequestBody.read(request.getInputStream(), request.getContentLengthLong(), maxBytes);
    }

    private static ResponseEntity<byte[]> answer(Result<OcrResult> result, boolean trace) {
        if (!trace) {
            return ResponseEntity.ok().header("Content-Type", NDJSON)
                    .body(result.value().toJsonLines().getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder b = new StringBuilder("{\"lines\":[");
        for (int i = 0; i < result.value().lines().size(); i++) {
            b.append(i == 0 ? "" : ",").append(result.value().lines().get(i).toJson());
        }
        b.append("],\"trace\":").append(result.trace().toJson()).append('}');
        return HttpResponses.entity(new OipResponse(200, Map.of(), b.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private static CompletableFuture<ResponseEntity<byte[]>> done(OipResponse r) {
        return CompletableFuture.completedFuture(HttpResponses.entity(r));
    }
}
