package dev.sluice.bench;

import dev.sluice.batching.BatchObserver;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How many model calls of each size each model ran: as a {@link BatchObserver} on a Sluice runtime (each
 * batch a deployment ran, by deployment name), or fed directly with {@link #record} by code that calls the
 * models itself. Sizes above {@code maxSize} are counted as {@code maxSize}. A failed batch counts like any
 * other (the benchmarks report failures separately). Thread-safe; recording never blocks.
 */
final class BatchSizes implements BatchObserver {

    /** Size classes of {@link #distribution}: each bound is the largest size of its class. */
    static final int[] CLASS_BOUNDS = {1, 2, 4, 8, 16, 32, Integer.MAX_VALUE};

    private final int maxSize;
    private final Map<String, AtomicLongArray> counts = new ConcurrentHashMap<>();

    /** Counts sizes 1 to {@code maxSize} one by one (larger ones as {@code maxSize}). */
    BatchSizes(int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("maxSize must be at least 1, was " + maxSize);
        }
        this.maxSize = maxSize;
    }

    @Override
    public void onBatch(String batcher, int size, long[] queueWaitNanos, long executionNanos, Throwable failure) {
        record(batcher, size);
    }

    /** Counts one call of {@code model} with {@code size} inputs. */
    void record(String model, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a batch has at least one input, was " + size);
        }
        counts.computeIfAbsent(model, m -> new AtomicLongArray(maxSize + 1)).incrementAndGet(Math.min(size, maxSize));
    }

    /** Calls counted so far for each of {@code models}, by size: {@code models.size() x (maxSize + 1)} entries, index 0 unused. */
    long[] snapshot(List<String> models) {
        long[] out = new long[models.size() * (maxSize + 1)];
        for (int m = 0; m < models.size(); m++) {
            AtomicLongArray c = counts.get(models.get(m));
            if (c != null) {
                for (int s = 1; s <= maxSize; s++) {
                    out[m * (maxSize + 1) + s] = c.get(s);
                }
            }
        }
        return out;
    }

    int maxSize() {
        return maxSize;
    }

    /**
     * What a {@link #snapshot} (or the difference of two) says of one model.
     *
     * @param calls model calls
     * @param items inputs over all calls
     * @param bySize calls of each size, index 0 unused
     */
    record Distribution(long calls, long items, long[] bySize) {

        /** The model's part of {@code snapshot} (taken for {@code modelCount} models), the {@code model}-th. */
        static Distribution of(long[] snapshot, int model, int modelCount) {
            int width = snapshot.length / modelCount;
            long[] bySize = new long[width];
            long calls = 0;
            long items = 0;
            for (int s = 1; s < width; s++) {
                bySize[s] = snapshot[model * width + s];
                calls += bySize[s];
                items += s * bySize[s];
            }
            return new Distribution(calls, items, bySize);
        }

        double mean() {
            return calls == 0 ? 0 : (double) items / calls;
        }

        /** The largest size seen; 0 without calls. */
        int max() {
            for (int s = bySize.length - 1; s > 0; s--) {
                if (bySize[s] > 0) {
                    return s;
                }
            }
            return 0;
        }

        /** The share of the calls in each class of {@link #CLASS_BOUNDS}, in percent (all 0 without calls). */
        double[] classShares() {
            double[] share = new double[CLASS_BOUNDS.length];
            int from = 1;
            for (int k = 0; k < CLASS_BOUNDS.length; k++) {
                long n = 0;
                for (int s = from; s < bySize.length && s <= CLASS_BOUNDS[k]; s++) {
                    n += bySize[s];
                }
                share[k] = calls == 0 ? 0 : 100.0 * n / calls;
                from = CLASS_BOUNDS[k] + 1;
            }
            return share;
        }

        /** E.g. {@code "412 calls, mean 3.10, max 9; 1: 20% 2: 31% 3-4: 30% 5-8: 18% 9-16: 1%"}, empty classes left out. */
        String text() {
            if (calls == 0) {
                return "no calls";
            }
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d calls, mean %.2f, max %d;", calls, mean(),
                    max()));
            double[] share = classShares();
            int from = 1;
            for (int k = 0; k < CLASS_BOUNDS.length; k++) {
                if (share[k] > 0) {
                    String range = from == CLASS_BOUNDS[k] ? Integer.toString(from)
                            : CLASS_BOUNDS[k] == Integer.MAX_VALUE ? from + "+" : from + "-" + CLASS_BOUNDS[k];
                    b.append(String.format(Locale.ROOT, " %s: %.0f%%", range, share[k]));
                }
                from = CLASS_BOUNDS[k] + 1;
            }
            return b.toString();
        }
    }
}
