package dev.sluice.examples.fraud;

import dev.sluice.batching.InvalidInputException;
import dev.sluice.xgboost.Features;
import java.util.LinkedHashMap;
import java.util.Map;

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
     * The model's row for this payment, by feature name (fields left out are missing values).
     *
     * @throws InvalidInputException naming the field that is out of its range
     */
    public Features features() {
        if (amount == null) {
            throw new InvalidInputException("amount is required");
        }
        Map<String, Number> f = new LinkedHashMap<>();
        put(f, "amount", amount, 0, Double.MAX_VALUE);
        put(f, "hour", hour, 0, 23);
        put(f, "distance_km", distanceKm, 0, 40_100); // no farther than half way round the earth
        put(f, "merchant_risk", merchantRisk, 0, 1);
        put(f, "card_age_days", cardAgeDays, 0, 36_500);
        put(f, "tx_last_hour", txLastHour, 0, 10_000);
        put(f, "foreign", foreign == null ? null : foreign ? 1 : 0, 0, 1);
        put(f, "online", online == null ? null : online ? 1 : 0, 0, 1);
        return Features.named(f);
    }

    /** The field's value as the model sees it (null when left out), for explanations. */
    Number value(String feature) {
        return switch (feature) {
            case "amount" -> amount;
            case "hour" -> hour;
            case "distance_km" -> distanceKm;
            case "merchant_risk" -> merchantRisk;
            case "card_age_days" -> cardAgeDays;
            case "tx_last_hour" -> txLastHour;
            case "foreign" -> foreign == null ? null : foreign ? 1 : 0;
            case "online" -> online == null ? null : online ? 1 : 0;
            default -> throw new IllegalArgumentException("no feature '" + feature + "'");
        };
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
