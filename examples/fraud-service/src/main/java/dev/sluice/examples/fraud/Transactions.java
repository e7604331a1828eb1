package dev.sluice.examples.fraud;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic card payments, some of them fraud, drawn from a fixed rule with noise: what the example's model is
 * trained on (by the build, see {@link FraudTrainer}) and tested against. The same seed gives the same payments.
 *
 * <p>The rule raises the odds of fraud for large amounts, night hours, payments far from home, risky merchants,
 * bursts of payments, foreign and online payments and new cards; about 6% of the payments are fraud. A few values
 * are missing, as in a real feed.
 */
public final class Transactions {
    /** The model's features, in its order (as {@link Transaction} defines them). */
    public static final List<String> FEATURES = Transaction.featureNames();

    /** A payment and whether it was fraud. */
    public record Labelled(Transaction transaction, boolean fraud) {}

    private Transactions() {}

    /** {@code n} payments drawn with {@code seed}. */
    public static List<Labelled> draw(long seed, int n) {
        Random r = new Random(seed);
        List<Labelled> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double amount = Math.round(Math.exp(3.6 + 1.1 * r.nextGaussian()) * 100) / 100.0;
            int hour = r.nextInt(24);
            Double distance = r.nextInt(25) == 0 ? null : Math.round(Math.exp(1.5 + 1.4 * r.nextGaussian()) * 10) / 10.0;
            double risk = Math.round(Math.pow(r.nextDouble(), 2) * 1000) / 1000.0;
            int cardAge = r.nextInt(2000);
            int burst = r.nextInt(10) == 0 ? 3 + r.nextInt(8) : r.nextInt(3);
            boolean foreign = r.nextInt(10) == 0;
            boolean online = r.nextInt(5) < 2;
            double logit = -5.2 + 0.9 * Math.log(amount / 40) + (hour < 6 ? 1.3 : 0)
                    + (distance == null ? 0.4 : 0.45 * Math.log1p(distance)) + 2.6 * risk
                    + 0.7 * Math.max(0, burst - 2) + (foreign ? 1.1 : 0) + (online ? 0.5 : 0) + (cardAge < 60 ? 1.0 : 0);
            boolean fraud = r.nextDouble() < 1 / (1 + Math.exp(-logit));
            out.add(new Labelled(new Transaction(amount, hour, distance, risk, cardAge, burst, foreign, online), fraud));
        }
        return out;
    }
}
