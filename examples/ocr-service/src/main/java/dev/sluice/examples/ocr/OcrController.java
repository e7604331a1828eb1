package dev.sluice.examples.ocr;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.pipeline.Result;
import dev.sluice.spring.SluiceProperties;
import dev.sluice.spring.http.HttpErrors;
import dev.sluice.spring.http.TraceFlag;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.Part;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Conditional;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /ocr}: an image (PNG, JPEG, GIF, BMP) as the raw body or as the multipart part {@code image}.
 * Answers JSON Lines ({@code application/x-ndjson}): one object per line of text, {@code text}, {@code confidence}
 * and {@code box}; nothing for an image without text. With {@code ?trace} ({@link TraceFlag}'s rule) one JSON
 * object instead: {@code {"lines": [...], "trace": {...}}}. Errors as the starter's endpoints (through
 * {@link HttpErrors}): a body that is not an image (or too large an image, judged from its header) 400, a body over
 * {@code sluice.http.max-request-size} 413, a full queue 429, a failure 500 with an error id.
 */
@RestController
@Conditional(OcrLayout.PipelineCondition.class)
public class OcrController {
    static final String NDJSON = "application/x-ndjson";

    private final OcrService ocr;
    private final long maxBytes;
    /** A page's deadline ({@code sluice.http.request-timeout}, as for the starter's endpoints); null for none. */
    private final Duration timeout;
    private final JsonMapper json;

    /** The body limit and the timeout are the starter's ({@code sluice.http.*}), with its defaults. */
    public OcrController(OcrService ocr, SluiceProperties properties, ObjectProvider<JsonMapper> json) {
        this.ocr = ocr;
        this.maxBytes = properties.getHttp().getMaxRequestSize().toBytes();
        this.timeout = properties.getHttp().requestTimeoutOrNull();
        this.json = json.getIfAvailable(() -> JsonMapper.builder().build());
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
        } catch (TooLarge e) {
            return done(HttpErrors.error(413, e.getMessage()));
        } catch (InvalidInputException e) {
            return done(HttpErrors.error(400, e.getMessage()));
        } catch (IOException | ServletException e) {
            return done(HttpErrors.error(400, "the request body could not be read: " + e.getMessage()));
        }
        return (timeout == null ? ocr.read(image) : ocr.read(image, timeout)).handle((result, failure) -> failure != null
                ? HttpErrors.response("the OCR pipeline", failure)
                : answer(result, trace));
    }

    /** No answer within the web server's asynchronous request timeout: 504 saying so, not Spring's bare 503. */
    @ExceptionHandler(AsyncRequestTimeoutException.class)
    public ResponseEntity<byte[]> asyncRequestTimeout() {
        return HttpErrors.asyncRequestTimeout();
    }

    /** Any other method on /ocr: 405. */
    @RequestMapping("/ocr")
    public ResponseEntity<byte[]> postOnly(HttpServletRequest request) {
        return HttpErrors.methodNotAllowed(request.getMethod(), request.getRequestURI(), "POST");
    }

    private byte[] image(HttpServletRequest request) throws IOException, ServletException, TooLarge {
        String type = request.getContentType();
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            Part part = request.getPart("image");
            if (part == null) {
                throw new InvalidInputException("a multipart request needs the image in a part named 'image'");
            }
            try (InputStream in = part.getInputStream()) {
                return read(in, part.getSize());
            }
        }
        return read(request.getInputStream(), request.getContentLengthLong());
    }

    /** The body, refused before reading when its declared length is over the limit, or once it reads past it. */
    private byte[] read(InputStream in, long declared) throws IOException, TooLarge {
        if (declared > maxBytes) {
            throw new TooLarge(declared + " bytes", maxBytes);
        }
        byte[] body = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
        if (body.length > maxBytes) {
            throw new TooLarge("more than " + maxBytes + " bytes", maxBytes);
        }
        return body;
    }

    /** The answer with its trace: the lines as Jackson writes {@link OcrResult}, and the pipeline's trace. */
    private record Traced(List<OcrResult.Line> lines, JsonNode trace) {}

    private ResponseEntity<byte[]> answer(Result<OcrResult> result, boolean trace) {
        if (!trace) {
            return ResponseEntity.ok().header("Content-Type", NDJSON).cacheControl(CacheControl.noStore())
                    .body(result.value().toJsonLines().getBytes(StandardCharsets.UTF_8));
        }
        Traced body = new Traced(result.value().lines(), json.readTree(result.trace().toJson()));
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).cacheControl(CacheControl.noStore())
                .body(json.writeValueAsBytes(body));
    }

    private static CompletableFuture<ResponseEntity<byte[]>> done(ResponseEntity<byte[]> r) {
        return CompletableFuture.completedFuture(r);
    }

    /** A body over {@code sluice.http.max-request-size}: 413. */
    private static final class TooLarge extends Exception {
        private static final long serialVersionUID = 1L;

        TooLarge(String size, long limit) {
            super("the request body (" + size + ") is larger than the limit of " + limit
                    + " bytes (sluice.http.max-request-size)", null, false, false);
        }
    }
}
