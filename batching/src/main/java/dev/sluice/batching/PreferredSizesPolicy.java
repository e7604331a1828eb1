package dev.sluice.batching;

import java.util.Arrays;
import java.util.List;

/**
 * Another policy's decisions, with batches cut to sizes the user prefers (Triton's {@code preferred_batch_size}).
 * See {@link BatchPolicy#preferring}.
 */
final class PreferredSizesPolicy implements BatchPolicy {
    private final BatchPolicy policy;
    /** Ascending, distinct, at least 1. */
    private final int[] sizes;

    PreferredSizesPolicy(BatchPolicy policy, int[] sizes) {
        this.policy = policy;
        this.sizes = sizes;
    }

    @Override
    public int batchSize(State state) {
        int wanted = Math.min(state.maxBatchSize(), policy.batchSize(state));
        if (sizes[0] > wanted) {
            return wanted; // no preferred size is allowed: the policy's answer stands
        }
        // The largest preferred size that the policy allows and that is waiting now; if none is waiting, the
        // smallest one, so that the batch waits for it as the policy waits for a full batch.
        int best = largestAtMost(Math.min(wanted, state.queued()));
        return best > 0 ? best : sizes[0];
    }

    /** The largest preferred size at most {@code limit}, or 0 if none is. */
    private int largestAtMost(int limit) {
        int best = 0;
        for (int s : sizes) {
            if (s > limit) {
                break;
            }
            best = s;
        }
        return best;
    }

    @Override
    public long nanosToWait(State state) {
        return policy.nanosToWait(state);
    }

    @Override
    public int targetBatchSize(List<CostCurve.Point> curve, int maxBatchSize) {
        int target = policy.targetBatchSize(curve, maxBatchSize);
        int best = largestAtMost(target);
        return best > 0 ? best : target;
    }

    @Override
    public void onBatchExecuted(int size, long executionNanos) {
        policy.onBatchExecuted(size, executionNanos);
    }

    @Override
    public String toString() {
        return policy + " preferring " + Arrays.toString(sizes);
    }
}
