package dev.sluice.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcessMemoryTest {
    private static final String STATUS = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmHWM:\t  512000 kB\nVmRSS:\t  340000 kB\n"
            + "RssAnon:\t  300000 kB\nThreads:\t42\n";

    @Test
    void readsResidentAndPeakResidentInKilobytes() {
        ProcessMemory m = ProcessMemory.parse(STATUS);
        assertEquals(340_000, m.rssKb());
        assertEquals(512_000, m.hwmKb());
        assertEquals(340_000 / 1024.0, m.rssMb(), 1e-9);
    }

    @Test
    void aMissingOrMalformedLineIsNamed() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ProcessMemory.parse("VmRSS:\t 1 kB\n"));
        assertTrue(missing.getMessage().contains("VmHWM"), missing.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ProcessMemory.parse("VmRSS:\t many kB\nVmHWM:\t 1 kB\n"));
        assertTrue(bad.getMessage().contains("VmRSS"), bad.getMessage());
    }

    @Test
    void readsThisProcessOnLinux() throws Exception {
        ProcessMemory m = ProcessMemory.read(ProcessHandle.current().pid());
        assertTrue(m.rssKb() > 0 && m.hwmKb() >= m.rssKb(), m.toString());
    }
}
