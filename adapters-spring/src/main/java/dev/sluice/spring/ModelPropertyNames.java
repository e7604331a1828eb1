package dev.sluice.spring;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.springframework.beans.PropertyMatches;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * Refuses a setting under {@code sluice.models.<name>} that {@link SluiceProperties.Model} does not have, such as a
 * misspelled {@code max-batch-sise}, which Spring's binding would ignore: a model would then run with a default
 * its author did not mean. The known settings are read from {@code Model}'s fields, so a new one is known at once.
 */
final class ModelPropertyNames {
    private static final ConfigurationPropertyName MODELS = ConfigurationPropertyName.of("sluice.models");
    /** Setting names (their uniform form: lower case, no dashes) to the name as documented (dashed). */
    private static final Map<String, String> KNOWN = known();
    /** The settings that are maps (e.g. {@code pad.<input>}): any key below them is theirs. */
    private static final Set<String> MAPS = maps();

    private ModelPropertyNames() {}

    /**
     * @throws InvalidConfigurationPropertyValueException naming the first unknown setting found, with the
     *     nearest known one when it is a likely misspelling
     */
    static void check(Environment environment) {
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue; // cannot list its names (e.g. a random value source); nothing of ours lives there
            }
            iterable.filter(MODELS::isAncestorOf).stream().forEach(name -> check(iterable, name));
        }
    }

    private static void check(ConfigurationPropertySource source, ConfigurationPropertyName name) {
        if (name.getNumberOfElements() < 4) {
            return; // sluice.models.<name> itself: not a setting; binding says if it is wrong
        }
        String setting = name.getElement(3, ConfigurationPropertyName.Form.UNIFORM);
        if (KNOWN.containsKey(setting) && (name.getNumberOfElements() == 4 || MAPS.contains(setting))) {
            return;
        }
        ConfigurationProperty property = source.getConfigurationProperty(name);
        String written = name.getElement(3, ConfigurationPropertyName.Form.DASHED);
        String nearest = nearest(written);
        throw new InvalidConfigurationPropertyValueException(name.toString(),
                property == null ? null : property.getValue(),
                "not a setting of a model" + (nearest == null ? "" : "; did you mean " + nearest + "?")
                        + " The settings of sluice.models.<name> are " + String.join(", ", KNOWN.values()));
    }

    /** The known setting within a few edits of {@code written} (dashed), as Spring's own suggestions find it, or null. */
    private static String nearest(String written) {
        StringBuilder camel = new StringBuilder(written.length());
        boolean upper = false;
        for (char c : written.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                camel.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        String[] matches = PropertyMatches.forField(camel.toString(), SluiceProperties.Model.class,
                Math.max(2, written.length() / 4)).getPossibleMatches();
        return matches.length == 0 ? null : KNOWN.get(matches[0].toLowerCase(Locale.ROOT));
    }

    private static Map<String, String> known() {
        Map<String, String> known = new TreeMap<>();
        for (Field f : settings()) {
            String dashed = f.getName().replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
            known.put(dashed.replace("-", ""), dashed);
        }
        return Collections.unmodifiableMap(known); // sorted: the error lists the settings in a stable order
    }

    private static Set<String> maps() {
        Set<String> maps = new TreeSet<>();
        for (Field f : settings()) {
            if (Map.class.isAssignableFrom(f.getType())) {
                maps.add(f.getName().toLowerCase(Locale.ROOT));
            }
        }
        return Collections.unmodifiableSet(maps);
    }

    private static java.util.List<Field> settings() {
        return java.util.Arrays.stream(SluiceProperties.Model.class.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()).toList();
    }
}
