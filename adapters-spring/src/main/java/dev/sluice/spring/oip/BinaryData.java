package dev.sluice.spring.oip;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.tensor.DataType;
import dev.sluice.tensor.Tensor;
import dev.sluice.tensor.internal.RawTensors;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The binary part of one request body under the binary tensor data extension: the bytes after the JSON, handed
 * out in order to the inputs that declare {@code binary_data_size} (see {@link RawTensors} for the encoding). Each
 * declared size is checked against the input's shape and against the bytes left before anything is read, so no
 * declared size is ever allocated unchecked; every problem is an {@link InvalidInputException} naming the input.
 *
 * <p>Not thread-safe: one request's reader uses it, on one thread.
 */
final class BinaryData {
    /** The request header that gives the length of the JSON at the start of the body. */
    static final String HEADER = "Inference-Header-Content-Length";
    private static final String SOURCE = "binary data";

    private final byte[] body;
    private final int start;
    private final int end;
    private final boolean headerGiven;
    private int position;
    private int inputs;

    /**
     * @param start where the JSON ends and the binary data starts
     * @param end the body's length
     * @param headerGiven whether the request said where its JSON ends
     */
    BinaryData(byte[] body, int start, int end, boolean headerGiven) {
        this.body = body;
        this.start = start;
        this.end = end;
        this.headerGiven = headerGiven;
        this.position = start;
    }

    /**
     * The length of the JSON at the start of a body of {@code bodyLength} bytes: as the {@value #HEADER} header
     * says, or the whole body without the header.
     *
     * @param header the header's value, or null when there is none
     * @throws InvalidInputException if the header is not a whole number, is negative, or is more than the body
     */
    static int jsonLength(String header, int bodyLength) {
        if (header == null) {
            return bodyLength;
        }
        String v = header.trim();
        boolean negative = v.startsWith("-");
        String digits = negative ? v.substring(1) : v;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidInputException("the " + HEADER + " header must be the length of the body's JSON in "
                    + "bytes, a whole number; it is '" + shorten(header) + "'");
        }
        if (negative) {
            throw new InvalidInputException("the " + HEADER + " header is negative (" + shorten(v) + ")");
        }
        BigInteger n = new BigInteger(digits);
        if (n.compareTo(BigInteger.valueOf(bodyLength)) > 0) {
            throw new InvalidInputException("the " + HEADER + " header (" + shorten(digits) + ") is larger than the "
                    + "body (" + bodyLength + " bytes)");
        }
        return n.intValue();
    }

    /**
     * The next input's tensor, from the next {@code declared} bytes.
     *
     * @param declared the input's {@code binary_data_size} parameter as parsed (a number, or anything else a
     *     client sent)
     */
    Tensor next(String what, String name, DataType type, long[] shape, Object declared) {
        String param = "\"" + InferenceRequestReader.BINARY_DATA_SIZE + "\"";
        if (!headerGiven) {
            throw new InvalidInputException(what + " has " + param + " (binary tensor data), but the request has no "
                    + HEADER + " header saying where its JSON ends");
        }
        if (!(declared instanceof Integer || declared instanceof Long || declared instanceof BigInteger)) {
            throw new InvalidInputException(what + ": " + param + " must be a whole number of bytes, it is "
                    + describe(declared));
        }
        BigInteger size = declared instanceof BigInteger b ? b : BigInteger.valueOf(((Number) declared).longValue());
        if (size.signum() < 0) {
            throw new InvalidInputException(what + ": " + param + " is negative (" + size + ")");
        }
        if (type != DataType.BYTES) {
            int expected = RawTensors.byteSize(what, type, shape);
            if (size.compareTo(BigInteger.valueOf(expected)) != 0) {
                throw new InvalidInputException(what + ": shape " + Arrays.toString(shape) + " of " + type + " needs "
                        + expected + " bytes (" + expected / type.byteSize() + " elements), " + param + " is " + size);
            }
        }
        int left = end - position;
        if (size.compareTo(BigInteger.valueOf(left)) > 0) {
            throw new InvalidInputException(what + ": " + param + " is " + size + ", but only " + left + " bytes of "
                    + "binary data are left after the JSON" + (inputs > 0 ? " and the " + inputs + " input(s) before it"
                    : ""));
        }
        int n = size.intValue();
        Tensor t = RawTensors.read(what, SOURCE, name, type, shape, ByteBuffer.wrap(body, position, n));
        position += n;
        inputs++;
        return t;
    }

    /** Checks that the inputs' binary data took every byte after the JSON. */
    void checkAllRead() {
        if (position == end) {
            return;
        }
        int left = end - position;
        if (inputs == 0) {
            throw new InvalidInputException("the body has " + left + " bytes after its JSON (" + HEADER + ": " + start
                    + "), but no input has \"" + InferenceRequestReader.BINARY_DATA_SIZE + "\"");
        }
        throw new InvalidInputException("the body has " + left + " bytes after the binary data of its inputs: their \""
                + InferenceRequestReader.BINARY_DATA_SIZE + "\" add up to " + (position - start) + ", the body has "
                + (end - start) + " bytes after its JSON");
    }

    private static String describe(Object v) {
        return v instanceof String s ? "the string \"" + shorten(s) + "\"" : String.valueOf(v);
    }

    private static String shorten(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
