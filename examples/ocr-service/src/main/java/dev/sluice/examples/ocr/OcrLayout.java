package dev.sluice.examples.ocr;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Which of the OCR models a process of the service deploys and which it calls on other servers, from its
 * properties, checked at start-up:
 *
 * <ul>
 *   <li>{@code sluice.ocr.models}: the models deployed here and served (REST and gRPC), of {@code det},
 *       {@code cls}, {@code rec}, separated by commas; default all three; empty for none.
 *   <li>{@code sluice.ocr.remote.det}, {@code .cls}, {@code .rec}: the servers of a model this process calls
 *       through a {@code RemoteDeployment} instead: a gRPC target ({@code dns:///rec-workers:8081}, resolved again
 *       as servers come and go) or {@code host:port} addresses separated by commas.
 * </ul>
 *
 * <p>A process runs the page pipeline ({@code POST /ocr}, the page, {@code --self-check}) when it has all three
 * models, local or remote. One with some models and no remote ones is a worker: it serves its models and nothing
 * else. A model both local and remote, a pipeline missing a model (some remote, the others neither local nor
 * remote), a process with nothing to serve, an unknown model name or an unknown {@code sluice.ocr.remote.*} key
 * are each an {@link OcrConfigException} naming the property and the model. Immutable.
 *
 * @param local the models deployed here, in the pipeline's order
 * @param remote the remote models' targets by name, in the pipeline's order
 */
record OcrLayout(List<String> local, Map<String, String> remote) {
    static final String MODELS = "sluice.ocr.models";
    static final String REMOTE = "sluice.ocr.remote";

    OcrLayout {
        local = List.copyOf(local);
        remote = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(remote));
    }

    /** Whether this process runs the page pipeline: it has every model, here or remote. */
    boolean pipeline() {
        return OcrModels.ALL.stream().allMatch(m -> local.contains(m) || remote.containsKey(m));
    }

    /** From a Spring environment: {@value #MODELS} and the map under {@value #REMOTE}. */
    static OcrLayout of(Environment env) {
        Map<String, String> remote = Binder.get(env).bind(REMOTE, Bindable.mapOf(String.class, String.class))
                .orElse(Map.of());
        return of(env.getProperty(MODELS, String.join(",", OcrModels.ALL)), remote);
    }

    /**
     * From the properties' values.
     *
     * @param models {@value #MODELS}: names separated by commas, blank for none
     * @param remote {@value #REMOTE}'s entries, by model name; blank values count as absent
     * @throws OcrConfigException naming what is wrong
     */
    static OcrLayout of(String models, Map<String, String> remote) {
        Objects.requireNonNull(models, MODELS);
        List<String> local = new ArrayList<>();
        for (String part : models.split(",", -1)) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            if (!OcrModels.ALL.contains(name)) {
                throw new OcrConfigException(MODELS + ": '" + name + "' is not one of the OCR models "
                        + String.join(", ", OcrModels.ALL) + " (was '" + models + "')");
            }
            if (!local.contains(name)) {
                local.add(name);
            }
        }
        Map<String, String> targets = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : remote.entrySet()) {
            if (!OcrModels.ALL.contains(e.getKey())) {
                throw new OcrConfigException(REMOTE + "." + e.getKey() + ": '" + e.getKey()
                        + "' is not one of the OCR models " + String.join(", ", OcrModels.ALL));
            }
        }
        List<String> both = new ArrayList<>();
        for (String m : OcrModels.ALL) {
            String target = remote.get(m);
            if (target != null && !target.isBlank()) {
                targets.put(m, target.strip());
                if (local.contains(m)) {
                    both.add(m);
                }
            }
        }
        List<String> orderedLocal = OcrModels.ALL.stream().filter(local::contains).toList();
        if (!both.isEmpty()) {
            throw new OcrConfigException(names(both) + " both local and remote: " + MODELS + " deploys "
                    + (both.size() == 1 ? "it" : "them") + " here and " + properties(both) + " calls "
                    + (both.size() == 1 ? "it" : "them") + " on other servers (" + String.join(", ",
                            both.stream().map(targets::get).toList()) + "); a model is one or the other: drop "
                    + (both.size() == 1 ? "it" : "them") + " from " + MODELS + " or unset " + properties(both));
        }
        if (orderedLocal.isEmpty() && targets.isEmpty()) {
            throw new OcrConfigException("nothing to serve: " + MODELS + " is empty and no " + REMOTE
                    + ".* is set; a worker deploys some of " + String.join(", ", OcrModels.ALL) + " ("
                    + MODELS + "=rec), an entry calls them on workers (" + REMOTE + ".det=dns:///det-workers:8081"
                    + " and the others)");
        }
        if (!targets.isEmpty()) {
            List<String> missing = OcrModels.ALL.stream()
                    .filter(m -> !orderedLocal.contains(m) && !targets.containsKey(m)).toList();
            if (!missing.isEmpty()) {
                throw new OcrConfigException(names(missing) + " neither local nor remote: with "
                        + properties(List.copyOf(targets.keySet())) + " set this process runs the page pipeline,"
                        + " which needs " + (missing.size() == 1 ? "it" : "them") + "; add "
                        + String.join(",", missing) + " to " + MODELS + " (now '" + models + "') or set "
                        + properties(missing));
            }
        }
        return new OcrLayout(orderedLocal, targets);
    }

    private static String names(List<String> models) {
        return "model" + (models.size() == 1 ? " " : "s ") + String.join(", ", models) + (models.size() == 1 ? " is"
                : " are");
    }

    private static String properties(List<String> models) {
        return String.join(", ", models.stream().map(m -> REMOTE + "." + m).toList());
    }

    /**
     * Whether the page pipeline's beans are made (see {@link #pipeline()}); a configuration that is wrong counts as
     * no, and the layout's own bean then fails the start with what is wrong.
     */
    static final class PipelineCondition implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            try {
                return of(context.getEnvironment()).pipeline();
            } catch (RuntimeException e) {
                return false;
            }
        }
    }

    /** The opposite of {@link PipelineCondition}: a worker's beans, for a configuration that is right. */
    static final class WorkerCondition implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            try {
                return !of(context.getEnvironment()).pipeline();
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
