package dev.sluice.examples.fraud;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.xgboost.Features;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A card payment to score, as the service takes it in JSON. Only {@code amount} is required: any other field left
 * out (or null) is a missing value, which the model has learned to handle (XGBoost sends it down each tree's
 * default branch), as a real feed has gaps (no location for a card-not-present payment, say).
 *
 * @param amount the amount, in the card's currency (required, 0 or more)
 * @param hour the local hour of day, 0 to 23
 * @param distanceKm how far from the card holder's home the payment was made
 * @param merchantRisk the merchant's risk rating, 0 (trusted) to 1
 * @param cardAgeDays how long ago the card was issued
 * @param txLastHour how many payments the card made in the hour before this one
 * @param foreign whether the payment is in another country than the card's
 * @param online whether the card was not present (an online payment)
 */
public record Transaction(Double amount, Integer hour, Double distanceKm, Double merchantRisk, Integer cardAgeDays,
        Integer txLastHour, Boolean foreign, Boolean online) {

    /**
     * The model's features, in order: each one's name, how it is read from a payment (null when left out) and its
     * range. The one place a field becomes a feature, for the row ({@link #features()}) and for the reasons
     * ({@link #value(String)}).
     */
    private static final List<Feature> FEATURES = List.of(
            new Feature("amount", Transaction::amount, 0, Double.MAX_VALUE),
            new Feature("hour", Transaction::hour, 0, 23),
            new Feature("distance_km", Transaction::distanceKm, 0, 40_100), // no farther than half way round the earth
            new Feature("merchant_risk", Transaction::merchantRisk, 0, 1),
            new Feature("card_age_days", Transaction::cardAgeDays, 0, 36_500),
            new Feature("tx_last_hour", Transaction::txLastHour, 0, 10_000),
            new Feature("foreign", t -> flag(t.foreign()), 0, 1),
            new Feature("online", t -> flag(t.online()), 0, 1));

    private record Feature(String name, Function<Transaction, Number> read, double min, double max) {}

    /**
     * The model's row for this payment, by feature name (fields left out are missing values).
     *
     * @throws InvalidInputException naming the field that is out of its range
     */
    public Features features() {
        if (amount == null) {
            throw new InvalidInputException("amount is required");
        }
        Map<String, Number> f = new LinkedHashMap<>();
        for (Feature feature : FEATURES) {
            put(f, feature.name(), feature.read().apply(this), feature.min(), feature.max());
        }
        return Features.named(f);
    }

    /** The model's feature names, in its order. */
    static List<String> featureNames() {
        return FEATURES.stream().map(Feature::name).toList();
    }

    /** The field's value as the model sees it (null when left out), for explanations. */
    Number value(String feature) {
        for (Feature f : FEATURES) {
            if (f.name().equals(feature)) {
                return f.read().apply(this);
            }
        }
        throw new IllegalArgumentException("no feature '" + feature + "'");
    }

    /** A yes/no field as the model takes it: 1 or 0 (null when left out). */
    private static Integer flag(Boolean b) {
        return b == null ? null : b ? 1 : 0;
    }

    private static void put(Map<String, Number> f, String name, Number value, double min, double max) {
        if (value == null) {
            return;
        }
        double v = value.doubleValue();
        if (!(v >= min && v <= max)) { // NaN fails too
            throw new InvalidInputException(name + " must be between " + fmt(min) + " and " + fmt(max) + ", was " + value);
        }
        f.put(name, value);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
