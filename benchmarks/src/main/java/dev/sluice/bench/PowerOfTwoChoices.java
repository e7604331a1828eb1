package dev.sluice.bench;

import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;

/**
 * Power-of-two-choices routing: pick two different replicas at random and take the one with fewer
 * outstanding requests (the first pick on a tie). It never picks the most loaded replica while another
 * has fewer, and needs only two reads of the load per request. Not thread-safe: one sender owns it.
 */
final class PowerOfTwoChoices {
    private final int replicas;
    private final SplittableRandom random;

    /**
     * @param replicas how many replicas to choose among, at least 1
     * @param seed seed of the random picks (a fixed seed gives the same picks for the same loads)
     */
    PowerOfTwoChoices(int replicas, long seed) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be at least 1, was " + replicas);
        }
        this.replicas = replicas;
        this.random = new SplittableRandom(seed);
    }

    /**
     * @param outstanding the outstanding requests of replica {@code i}, read for the two candidates only
     * @return the chosen replica's index
     */
    int choose(IntUnaryOperator outstanding) {
        if (replicas == 1) {
            return 0;
        }
        int a = random.nextInt(replicas);
        int b = random.nextInt(replicas - 1);
        if (b >= a) {
            b++; // two different replicas, each pair equally likely
        }
        return outstanding.applyAsInt(b) < outstanding.applyAsInt(a) ? b : a;
    }
}
