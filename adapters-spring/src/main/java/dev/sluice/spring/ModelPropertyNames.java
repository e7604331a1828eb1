package dev.sluice.spring;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
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
 * its author did not mean. The known settings are read from {@code Model}'s fields, and from the fields of its
 * groups (a field whose type is a settings class of {@link SluiceProperties}, such as {@code xgboost.outputs}), so a
 * new one is known at once.
 */
final class ModelPropertyNames {
    private static final ConfigurationPropertyName MODELS = ConfigurationPropertyName.of("sluice.models");
    /** The element of a model's name where its settings begin: sluice, models, name, setting. */
    private static final int SETTING = 3;
    /** Groups of settings (their uniform name) to their class, e.g. {@code xgboost}. */
    private static final Map<String, Class<?>> GROUPS = groups();
    /** Settings by their uniform path ({@code maxbatchsize}, {@code xgboost.outputs}). */
    private static final Map<String, Setting> KNOWN = known();

    /** How a setting may be written: one value, a list (indexed in YAML: {@code outputs[0]}), or a map's keys. */
    private enum Shape { VALUE, LIST, MAP }

    /** A known setting: its documented (dashed) path and shape. */
    private record Setting(String dashed, Shape shape) {}

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
        int n = name.getNumberOfElements();
        if (n <= SETTING) {
            return; // sluice.models.<name> itself: not a setting; binding says if it is wrong
        }
        String first = uniform(name, SETTING);
        boolean grouped = GROUPS.containsKey(first) && n > SETTING + 1;
        String path = grouped ? first + "." + uniform(name, SETTING + 1) : first;
        int below = n - SETTING - (grouped ? 2 : 1); // elements under the setting: a map's key, a list's index
        Setting setting = KNOWN.get(path);
        if (setting != null && (below == 0 || setting.shape == Shape.MAP
                || setting.shape == Shape.LIST && below == 1 && name.isNumericIndex(n - 1))) {
            return;
        }
        ConfigurationProperty property = source.getConfigurationProperty(name);
        String nearest = grouped ? nearestIn(first, GROUPS.get(first), dashed(name, SETTING + 1))
                : nearestIn(null, SluiceProperties.Model.class, dashed(name, SETTING));
        throw new InvalidConfigurationPropertyValueException(name.toString(),
                property == null ? null : property.getValue(),
                "not a setting of a model" + (nearest == null ? "" : "; did you mean " + nearest + "?")
                        + " The settings of sluice.models.<name> are "
                        + String.join(", ", KNOWN.values().stream().map(Setting::dashed).toList()));
    }

    private static String uniform(ConfigurationPropertyName name, int element) {
        return name.getElement(element, ConfigurationPropertyName.Form.UNIFORM);
    }

    private static String dashed(ConfigurationPropertyName name, int element) {
        return name.getElement(element, ConfigurationPropertyName.Form.DASHED);
    }

    /**
     * The setting of {@code type} (in group {@code group}, or null for a model's own) within a few edits of
     * {@code written} (dashed), as Spring's own suggestions find it, or null.
     */
    private static String nearestIn(String group, Class<?> type, String written) {
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
        String[] matches = PropertyMatches.forField(camel.toString(), type, Math.max(2, written.length() / 4))
                .getPossibleMatches();
        if (matches.length == 0) {
            return null;
        }
        String key = matches[0].toLowerCase(Locale.ROOT);
        Setting found = KNOWN.get(group == null ? key : group + "." + key);
        if (found == null && group == null && GROUPS.containsKey(key)) { // a misspelled group: name its settings
            return String.join(" or ", KNOWN.entrySet().stream().filter(e -> e.getKey().startsWith(key + "."))
                    .map(e -> e.getValue().dashed).toList());
        }
        return found == null ? null : found.dashed;
    }

    private static Map<String, Class<?>> groups() {
        Map<String, Class<?>> groups = new TreeMap<>();
        for (Field f : fields(SluiceProperties.Model.class)) {
            if (isGroup(f)) {
                groups.put(f.getName().toLowerCase(Locale.ROOT), f.getType());
            }
        }
        return Collections.unmodifiableMap(groups);
    }

    private static Map<String, Setting> known() {
        Map<String, Setting> known = new TreeMap<>(); // sorted: the error lists the settings in a stable order
        for (Field f : fields(SluiceProperties.Model.class)) {
            if (isGroup(f)) {
                for (Field g : fields(f.getType())) {
                    known.put(uniform(f) + "." + uniform(g), new Setting(dashed(f) + "." + dashed(g), shape(g)));
                }
            } else {
                known.put(uniform(f), new Setting(dashed(f), shape(f)));
            }
        }
        return Collections.unmodifiableMap(known);
    }

    /** A group of settings: a field whose type is one of SluiceProperties' own settings classes. */
    private static boolean isGroup(Field f) {
        return f.getType().getDeclaringClass() == SluiceProperties.class;
    }

    private static Shape shape(Field f) {
        return Map.class.isAssignableFrom(f.getType()) ? Shape.MAP
                : Collection.class.isAssignableFrom(f.getType()) ? Shape.LIST : Shape.VALUE;
    }

    private static String dashed(Field f) {
        return f.getName().replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    private static String uniform(Field f) {
        return f.getName().toLowerCase(Locale.ROOT);
    }

    private static List<Field> fields(Class<?> type) {
        return Arrays.stream(type.getDeclaredFields())
                .filter(f -> !Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()).toList();
    }
}
