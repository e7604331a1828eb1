package dev.sluice.examples.ocr;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets memory go back to the operating system once a load has passed, without a JVM flag (the service owns its
 * JVM; a library would not do this):
 * <ul>
 *   <li>the Java heap: under an overload G1 grows it (up to a quarter of the machine's memory by default) and, left
 *       alone, keeps it committed while the service idles, since no collection comes when nothing is allocated. A
 *       periodic collection ({@code G1PeriodicGCInterval}, a flag a running program may set) comes after that
 *       long without one and gives the free heap back;
 *   <li>native memory freed by ONNX Runtime and the JVM, which glibc's malloc keeps in its arenas: the JVM's
 *       {@code System.trim_native_heap} command (what {@code -XX:TrimNativeHeapInterval} runs) is called at the
 *       same interval.
 * </ul>
 * Each is left alone when set on the command line ({@code -XX:G1PeriodicGCInterval=...},
 * {@code -XX:TrimNativeHeapInterval=...}; {@code =0} turns it off), or when the JVM lacks it (another collector,
 * a JDK without the command). What it sets is said in the log.
 */
final class HeapReturn {
    private static final Logger LOG = LoggerFactory.getLogger(HeapReturn.class);
    static final String FLAG = "G1PeriodicGCInterval";
    static final String TRIM_FLAG = "TrimNativeHeapInterval";
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

    /**
     * Trims the C heap every {@code interval} on a daemon thread, unless {@code -XX:TrimNativeHeapInterval} was given
     * or this JVM has no {@code System.trim_native_heap} command. Returns whether it was started.
     */
    static boolean trimNativeHeap(Duration interval) {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            VMOption option = hotspot.getVMOption(TRIM_FLAG);
            if (option.getOrigin() != VMOption.Origin.DEFAULT) {
                LOG.info("{} is {} (set by {}): the JVM trims, or was told not to", TRIM_FLAG, option.getValue(),
                        option.getOrigin());
                return false;
            }
        } catch (IllegalArgumentException e) {
            // no such flag on this JDK: the command may still exist
        }
        if (!trimOnce()) {
            return false;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "trim-native-heap");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(HeapReturn::trimOnce, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("the C heap is trimmed every {} ms (System.trim_native_heap): native memory freed after an overload"
                + " goes back to the system (-XX:{}=0 turns it off)", interval.toMillis(), TRIM_FLAG);
        return true;
    }

    /** Runs {@code System.trim_native_heap} once; false if this JVM cannot. */
    static boolean trimOnce() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            return true;
        } catch (JMException | RuntimeException e) {
            LOG.debug("System.trim_native_heap is not available: {}", e.toString());
            return false;
        }
    }
}
