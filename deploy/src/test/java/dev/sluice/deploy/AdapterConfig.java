package dev.sluice.deploy;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Prometheus Adapter's configuration file as a schema, written from the adapter's configuration documentation:
 * {@code rules} (custom metrics), {@code externalRules} and {@code resourceRules}; each rule has discovery
 * ({@code seriesQuery}, {@code seriesFilters}), association ({@code resources}: a {@code template} or
 * {@code overrides} from label to group-resource), naming ({@code name.matches} / {@code as}) and querying
 * ({@code metricsQuery}, a Go template over {@code .Series}, {@code .LabelMatchers} and {@code .GroupBy}).
 */
record AdapterConfig(List<Rule> rules, List<Rule> externalRules, Map<String, Object> resourceRules) {

    AdapterConfig {
        Schema.require(rules != null && !rules.isEmpty(), "rules");
    }

    record Rule(String seriesQuery, List<SeriesFilter> seriesFilters, Resources resources, Name name,
            String metricsQuery) {
        Rule {
            Schema.require(seriesQuery != null && !seriesQuery.isBlank(), "rules[].seriesQuery");
            Schema.require(metricsQuery != null && !metricsQuery.isBlank(), "rules[].metricsQuery");
            Schema.require(resources != null, "rules[].resources");
            Schema.check(metricsQuery.contains("<<.Series>>") && metricsQuery.contains("<<.LabelMatchers>>"),
                    "rules[].metricsQuery must use <<.Series>> and <<.LabelMatchers>>: " + metricsQuery);
            Schema.check(metricsQuery.replaceAll("<<\\.(Series|LabelMatchers|GroupBy)>>", "").indexOf("<<") < 0,
                    "rules[].metricsQuery uses a template field other than .Series, .LabelMatchers, .GroupBy: "
                            + metricsQuery);
        }

        /** The query the adapter sends for {@code series}, given its label matchers and group-by labels. */
        String render(String series, String labelMatchers, String groupBy) {
            return metricsQuery.replace("<<.Series>>", series).replace("<<.LabelMatchers>>", labelMatchers)
                    .replace("<<.GroupBy>>", groupBy);
        }

        /** The metric name the adapter serves for a series called {@code series}, or null if the rule skips it. */
        String exposedName(String series) {
            if (name == null || name.matches() == null) {
                return series;
            }
            var m = Pattern.compile(name.matches()).matcher(series);
            if (!m.find()) {
                return null;
            }
            return name.as() == null || name.as().isEmpty() ? (m.groupCount() > 0 ? m.group(1) : series)
                    : m.replaceFirst(name.as());
        }
    }

    record SeriesFilter(String is, String isNot) {
        SeriesFilter {
            Schema.check((is == null) != (isNot == null), "seriesFilters[] takes exactly one of is, isNot");
        }
    }

    record Resources(String template, Map<String, GroupResource> overrides) {
        Resources {
            Schema.require(template != null || (overrides != null && !overrides.isEmpty()),
                    "rules[].resources.template or rules[].resources.overrides");
        }
    }

    record GroupResource(String group, String resource) {
        GroupResource {
            Schema.require(resource != null, "rules[].resources.overrides.<label>.resource");
        }
    }

    record Name(String matches, String as) {
        Name {
            if (matches != null) {
                Pattern.compile(matches);
            }
        }
    }
}
