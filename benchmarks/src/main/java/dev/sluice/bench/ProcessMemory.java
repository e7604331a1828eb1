package dev.sluice.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory as Linux reports it in {@code /proc/<pid>/status}: {@code VmRSS} (resident now)
 * and {@code VmHWM} (the peak resident so far), in kB. Immutable.
 *
 * @param rssKb resident set size now, kB
 * @param hwmKb the highest resident set size since the process started, kB
 */
record ProcessMemory(long rssKb, long hwmKb) {

    /**
     * Reads {@code /proc/<pid>/status}.
     *
     * @throws IOException if it cannot be read (the process has ended, or this is not Linux)
     */
    static ProcessMemory read(long pid) throws IOException {
        return parse(Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII));
    }

    /**
     * The {@code VmRSS} and {@code VmHWM} lines of a {@code /proc/<pid>/status} text ({@code "VmRSS:\t  123456 kB"}).
     *
     * @throws IllegalArgumentException if either line is missing or not a number of kB
     */
    static ProcessMemory parse(String status) {
        return new ProcessMemory(field(status, "VmRSS"), field(status, "VmHWM"));
    }

    private static long field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String v = line.substring(name.length() + 1).trim();
                if (!v.endsWith("kB")) {
                    throw new IllegalArgumentException(name + " is not in kB: '" + line + "'");
                }
                try {
                    return Long.parseLong(v.substring(0, v.length() - 2).trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + " is not a number: '" + line + "'", e);
                }
            }
        }
        throw new IllegalArgumentException("no " + name + " line in the process status");
    }

    double rssMb() {
        return rssKb / 1024.0;
    }

    double hwmMb() {
        return hwmKb / 1024.0;
    }
}
