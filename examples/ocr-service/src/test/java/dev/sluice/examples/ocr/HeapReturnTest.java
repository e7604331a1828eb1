package dev.sluice.examples.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HeapReturnTest {

    @Test
    void thePeriodicCollectionIsSetOnceAndAValueSetBeforeIsLeftAlone() {
        HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        VMOption before = hotspot.getVMOption(HeapReturn.FLAG);
        boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream().anyMatch(b -> b.getName().startsWith("G1"));
        boolean set = HeapReturn.enable(Duration.ofSeconds(7));
        VMOption after = hotspot.getVMOption(HeapReturn.FLAG);
        if (g1 && before.getOrigin() == VMOption.Origin.DEFAULT) {
            assertEquals("7000", after.getValue());
            assertEquals(VMOption.Origin.MANAGEMENT, after.getOrigin());
        } else {
            assertFalse(set);
            assertEquals(before.getValue(), after.getValue(), "not G1, or set by the user: unchanged");
        }
        assertFalse(HeapReturn.enable(Duration.ofSeconds(1)), "once set, it is no longer the default: left alone");
        assertEquals(after.getValue(), hotspot.getVMOption(HeapReturn.FLAG).getValue());
    }

    @Test
    void theCHeapCanBeTrimmedFromInsideOnThisJdk() {
        // JDK 17.0.9+ and 21+ have System.trim_native_heap on Linux; where one does not, the service just does without.
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"));
        org.junit.jupiter.api.Assertions.assertTrue(HeapReturn.trimOnce());
    }
}
