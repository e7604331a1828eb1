package dev.sluice.spring.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Not API: the starter's own plumbing, public only so its packages can share it.
 *
 * <p>Reads a request body up to a size limit, refusing a larger one before or while reading it.
 */
public final class RequestBody {
    private RequestBody() {}

    /** The body is over the limit: 413. */
    public static final class TooLargeException extends Exception {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * @param contentLength the declared length, or -1 when unknown (chunked): a declared length over the limit is
     *     refused before anything is read, and an undeclared one is counted while reading
     * @throws TooLargeException naming the limit and the property that sets it
     */
    public static byte[] read(InputStream in, long contentLength, long limit) throws IOException, TooLargeException {
        if (contentLength > limit) {
            throw tooLarge(contentLength + " bytes", limit);
        }
        byte[] buffer = new byte[(int) Math.min(limit + 1, contentLength >= 0 ? contentLength + 1 : 64 * 1024)];
        int n = 0;
        while (true) {
            if (n == buffer.length) {
                if (n > limit) {
                    throw tooLarge("more than " + limit + " bytes", limit);
                }
                buffer = Arrays.copyOf(buffer, (int) Math.min(limit + 1, (long) n * 2));
            }
            int r = in.read(buffer, n, buffer.length - n);
            if (r < 0) {
                break;
            }
            n += r;
        }
        if (n > limit) {
            throw tooLarge("more than " + limit + " bytes", limit);
        }
        return n == buffer.length ? buffer : Arrays.copyOf(buffer, n);
    }

    private static TooLargeException tooLarge(String size, long limit) {
        return new TooLargeException("the request body (" + size + ") is larger than the limit of " + limit
                + " bytes (sluice.http.max-request-size)");
    }
}
