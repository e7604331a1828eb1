package dev.sluice.gpu;

import dev.sluice.GpuDevice;
import dev.sluice.GpuInventory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NVIDIA GPUs of this machine, as {@code nvidia-smi} reports them, seen the way a CUDA program in this
 * process sees them: {@code CUDA_VISIBLE_DEVICES}, when set, picks and orders the devices (by index, or by a
 * {@code GPU-} UUID or unambiguous prefix of one; it stops at the first entry that names no device, as CUDA
 * does) and they are numbered 0, 1, ...
 * in that order. Registered as the {@link GpuInventory} service, so {@code Resources.detect()} uses it when
 * {@code sluice-gpu} is on the class path.
 *
 * <p>No driver, no {@code nvidia-smi}, or an error from it means no GPUs, never an exception: a CPU-only
 * machine is an ordinary place to run. Each {@link #devices()} call that finds none logs so at INFO (once per
 * runtime when {@code Resources.detect()} asks, as it does once). Lines of output that cannot be read are skipped
 * with a warning naming them.
 */
public final class NvidiaSmiInventory implements GpuInventory {
    private static final Logger LOG = LoggerFactory.getLogger(NvidiaSmiInventory.class);
    static final List<String> COMMAND = List.of("nvidia-smi",
            "--query-gpu=index,uuid,name,memory.total,memory.used", "--format=csv,noheader,nounits");
    private static final long MIB = 1024L * 1024;

    /** Runs a command and gives its standard output, or throws when it cannot run or fails. */
    @FunctionalInterface
    interface CommandRunner {
        String run(List<String> command) throws IOException, InterruptedException;
    }

    private final CommandRunner runner;
    private final Map<String, String> environment;

    /** The service: runs the real {@code nvidia-smi} and reads this process's environment. */
    public NvidiaSmiInventory() {
        this(NvidiaSmiInventory::runProcess, System.getenv());
    }

    NvidiaSmiInventory(CommandRunner runner, Map<String, String> environment) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    @Override
    public List<GpuDevice> devices() {
        String output;
        try {
            output = runner.run(COMMAND);
        } catch (IOException e) {
            LOG.info("No NVIDIA GPUs: nvidia-smi could not run ({}); placing on CPU only", e.getMessage());
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
        return visible(parse(output), environment.get("CUDA_VISIBLE_DEVICES"));
    }

    /** Reads {@code nvidia-smi}'s CSV lines ({@code index, uuid, name, memory.total MiB, memory.used MiB}). */
    static List<GpuDevice> parse(String csv) {
        List<GpuDevice> devices = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            if (f.length != 5) {
                LOG.warn("Skipping a line of nvidia-smi output that has {} fields, not 5: '{}'", f.length, line);
                continue;
            }
            try {
                int index = Integer.parseInt(f[0].trim());
                long total = Long.parseLong(f[3].trim());
                long used = Long.parseLong(f[4].trim());
                GpuDevice device = new GpuDevice(index, f[1].trim(), f[2].trim(), total * MIB);
                if (used * 10 > total) {
                    LOG.warn("{} ({}) already has {} of {} MiB in use by other processes", device.label(),
                            device.name(), used, total);
                }
                devices.add(device);
            } catch (IllegalArgumentException e) { // NumberFormatException, or a value GpuDevice refuses
                LOG.warn("Skipping a line of nvidia-smi output that cannot be read ({}): '{}'", e.getMessage(), line);
            }
        }
        return devices;
    }

    /**
     * The devices a CUDA program sees under {@code CUDA_VISIBLE_DEVICES} (null: all of them), renumbered from 0
     * in the order it lists them.
     */
    static List<GpuDevice> visible(List<GpuDevice> all, String cudaVisibleDevices) {
        if (cudaVisibleDevices == null) {
            return List.copyOf(all);
        }
        List<GpuDevice> seen = new ArrayList<>();
        String spec = cudaVisibleDevices.trim();
        if (spec.isEmpty()) {
            return List.of();
        }
        for (String raw : spec.split(",")) {
            String entry = raw.trim();
            GpuDevice match = find(all, entry);
            if (match == null) {
                if (!entry.equals("-1") && !entry.equalsIgnoreCase("none")) {
                    LOG.warn("CUDA_VISIBLE_DEVICES entry '{}' names no GPU; CUDA ignores it and every entry after it",
                            entry);
                }
                break;
            }
            if (seen.stream().anyMatch(d -> d.uuid().equals(match.uuid()))) {
                LOG.warn("CUDA_VISIBLE_DEVICES names {} twice; CUDA ignores the list from there", entry);
                break;
            }
            seen.add(new GpuDevice(seen.size(), match.uuid(), match.name(), match.memoryBytes()));
        }
        return List.copyOf(seen);
    }

    private static GpuDevice find(List<GpuDevice> all, String entry) {
        if (entry.isEmpty()) {
            return null;
        }
        if (entry.chars().allMatch(Character::isDigit)) {
            int index = Integer.parseInt(entry);
            return all.stream().filter(d -> d.index() == index).findFirst().orElse(null);
        }
        // A UUID, or an unambiguous prefix of one, with its "GPU-" (MIG instances are not supported here).
        String prefix = entry.toUpperCase(Locale.ROOT);
        if (!prefix.startsWith("GPU-")) {
            return null;
        }
        List<GpuDevice> matches = all.stream().filter(d -> d.uuid().toUpperCase(Locale.ROOT).startsWith(prefix)).toList();
        return matches.size() == 1 ? matches.get(0) : null;
    }

    private static String runProcess(List<String> command) throws IOException, InterruptedException {
        // Output goes to a file, so a hung nvidia-smi cannot block a read: waitFor's timeout decides.
        Path out = Files.createTempFile("sluice-nvidia-smi", ".csv");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("nvidia-smi did not answer within 10 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("nvidia-smi exited with " + p.exitValue());
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Override
    public String toString() {
        return "NvidiaSmiInventory";
    }
}
