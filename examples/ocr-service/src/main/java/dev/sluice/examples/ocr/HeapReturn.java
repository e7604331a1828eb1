package dev.sluice.examples.ocr;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets the Java heap go back to the operating system once a load has passed, without a JVM flag: under an
 * overload G1 grows the heap (up to a quarter of the machine's memory by default) and, left alone, keeps it
 * committed while the service idles, since no collection comes when nothing is allocated. A periodic collection
 * ({@code G1PeriodicGCInterval}, a flag the JVM lets a running program set) comes after that long without one and
 * gives the free heap back. The service sets it at start unless it was set on the command line (then the user's
 * value stands), and only on G1. What it changes is said in the log.
 */
final class HeapReturn {
    private static final Logger LOG = LoggerFactory.getLogger(HeapReturn.class);
    static final String FLAG = "G1PeriodicGCInterval";
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    private HeapReturn() {}

    /** Sets the periodic collection to {@code interval} when the JVM runs G1 and the flag is at its default. */
    static boolean enable(Duration interval) {
        try {
            boolean g1 = ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                    .anyMatch(n -> n.startsWith("G1"));
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (!g1 || hotspot == null) {
                return false;
            }
            VMOption option = hotspot.getVMOption(FLAG);
            if (option.getOrigin() != VMOption.Origin.DEFAULT || !option.isWriteable()) {
                LOG.info("{} is {} (set by {}): left as it is", FLAG, option.getValue(), option.getOrigin());
                return false;
            }
            hotspot.setVMOption(FLAG, Long.toString(interval.toMillis()));
            LOG.info("{} set to {} ms: the heap an overload grew goes back to the system once the service idles"
                    + " (-XX:{}=0 keeps it)", FLAG, interval.toMillis(), FLAG);
            return true;
        } catch (RuntimeException e) {
            LOG.warn("could not set {}: {}", FLAG, e.toString());
            return false;
        }
    }
}
