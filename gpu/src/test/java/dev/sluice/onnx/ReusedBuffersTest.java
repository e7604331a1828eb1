package dev.sluice.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ReusedBuffersTest {

    @Test
    void aSlotsBufferIsKeptFromCallToCallAndGrowsToTheLargestBatch() {
        ReusedBuffers r = new ReusedBuffers(1 << 20);
        ByteBuffer first;
        try (ReusedBuffers.Lease l = r.acquire()) {
            first = l.take("in:x", 100);
            assertTrue(first.isDirect());
            assertEquals(ByteOrder.nativeOrder(), first.order());
            assertEquals(0, first.position());
            assertEquals(100, first.limit());
        }
        try (ReusedBuffers.Lease l = r.acquire()) {
            ByteBuffer again = l.take("in:x", 60);
            assertSame(first, again, "kept");
            assertEquals(60, again.limit());
            assertNotSame(first, l.take("out:y", 60), "another slot, another buffer");
        }
        try (ReusedBuffers.Lease l = r.acquire()) {
            assertEquals(500, l.take("in:x", 500).capacity(), "grown for a larger batch");
        }
        assertEquals(560, r.keptBytes());
    }

    @Test
    void aCallOnTheSameModelWhileAnotherRunsGetsBuffersOfItsOwn() {
        ReusedBuffers r = new ReusedBuffers(1 << 20);
        try (ReusedBuffers.Lease running = r.acquire()) {
            ByteBuffer mine = running.take("in:x", 64);
            try (ReusedBuffers.Lease concurrent = r.acquire()) {
                ByteBuffer theirs = concurrent.take("in:x", 64);
                assertNotSame(mine, theirs, "never the buffer a running call reads");
            }
            assertEquals(-1, r.keptBytes(), "not read while a call holds them");
        }
        try (ReusedBuffers.Lease next = r.acquire()) {
            assertEquals(64, next.take("in:x", 64).capacity());
        }
        assertEquals(64, r.keptBytes(), "only the owner's buffer was kept");
    }

    @Test
    void beyondTheRetainedBytesABatchGetsBuffersForItsCallOnly() {
        ReusedBuffers r = new ReusedBuffers(1000);
        ByteBuffer small;
        try (ReusedBuffers.Lease l = r.acquire()) {
            small = l.take("in:x", 600);
            ByteBuffer big = l.take("out:y", 600); // 1200 > 1000: not kept
            assertNotSame(small, big);
        }
        assertEquals(600, r.keptBytes());
        try (ReusedBuffers.Lease l = r.acquire()) {
            assertSame(small, l.take("in:x", 600));
            assertNotSame(small, l.take("in:x", 600), "taken twice in one call: the second is its own buffer");
        }
        assertEquals(600, r.keptBytes());
    }

    @Test
    void aClosedLeaseGivesNothingAndClosingTwiceIsHarmless() {
        ReusedBuffers r = new ReusedBuffers(1000);
        ReusedBuffers.Lease l = r.acquire();
        l.close();
        l.close();
        assertThrows(IllegalStateException.class, () -> l.take("in:x", 8));
        try (ReusedBuffers.Lease next = r.acquire()) {
            next.take("in:x", 8);
        }
        assertEquals(8, r.keptBytes(), "the kept buffers were free for the next call");
    }

    @Test
    void aBufferOfACallAloneIsFreedAtOnceBeforeJdk24AndLeftToTheCollectorFromThen() {
        boolean before24 = Runtime.version().feature() < 24; // from 24 the call prints a removal warning (JEP 498)
        assertEquals(before24, ReusedBuffers.freesAtOnce(), "invokeCleaner used exactly where it does not warn");
        assertEquals(before24, ReusedBuffers.free(ByteBuffer.allocateDirect(16)));
        assertEquals(false, ReusedBuffers.free(ByteBuffer.allocate(16)), "a heap buffer is the collector's");
    }
}
