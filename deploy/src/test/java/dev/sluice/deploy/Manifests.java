package dev.sluice.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The manifests under {@code deploy/kubernetes}, read strictly: every YAML document becomes the Kubernetes API's own
 * model class for its {@code apiVersion} and {@code kind} (fabric8), or one of the schemas written here for what
 * fabric8 does not model (KEDA's {@link KedaScaledObject}, kustomize's {@link Kustomization}, the Prometheus
 * Adapter's {@link AdapterConfig}). Strict means: a field the type does not have, a duplicated key, a value of the
 * wrong type or an unreadable quantity fails with the file and the field's path. fabric8's classes keep unknown
 * fields in {@code additionalProperties} instead of failing, so {@link #strict} walks each parsed object for them.
 *
 * <p>Not thread-safe to build; the lists it holds are unmodifiable.
 */
final class Manifests {

    /** Where the manifests are, from the module's directory (Maven runs tests there). */
    static final Path ROOT = Path.of("kubernetes");

    /** The adapter's configuration: not a Kubernetes object, read by {@link #adapterConfig()}. */
    static final Path ADAPTER_RULES = ROOT.resolve("autoscaling/hpa/prometheus-adapter-rules.yaml");

    static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .build();

    /** The classes a document may be, by {@code apiVersion/kind}; anything else is refused. */
    private static final Map<String, Class<?>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class,
            "keda.sh/v1alpha1/ScaledObject", KedaScaledObject.class,
            "kustomize.config.k8s.io/v1beta1/Kustomization", Kustomization.class);

    /** One parsed document: the file it came from, its index in the file, and the object. */
    record Document(Path file, int index, Object object) {
        String where() {
            return file + (index > 0 ? " (document " + (index + 1) + ")" : "");
        }
    }

    private final List<Document> documents;

    private Manifests(List<Document> documents) {
        this.documents = List.copyOf(documents);
    }

    /** Every manifest under {@link #ROOT} (all {@code .yaml} files but the adapter's configuration). */
    static Manifests load() {
        List<Document> all = new ArrayList<>();
        for (Path file : yamlFiles()) {
            if (!file.equals(ADAPTER_RULES)) {
                all.addAll(parse(file));
            }
        }
        return new Manifests(all);
    }

    static List<Path> yamlFiles() {
        try (Stream<Path> files = Files.walk(ROOT)) {
            return files.filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted(Comparator.naturalOrder()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every document of {@code file}, each parsed strictly into its kind's class. */
    static List<Document> parse(Path file) {
        try {
            return parse(file, Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Document> parse(Path file, String yaml) {
        List<Document> out = new ArrayList<>();
        try (var parser = YAML.createParser(yaml)) {
            List<JsonNode> nodes = YAML.readValues(parser, JsonNode.class).readAll();
            for (int i = 0; i < nodes.size(); i++) {
                JsonNode node = nodes.get(i);
                if (node == null || node.isNull() || node.isMissingNode()) {
                    continue; // an empty document (a leading ---)
                }
                out.add(new Document(file, i, parse(file + " document " + (i + 1), node)));
            }
        } catch (IOException e) {
            throw new ManifestException(file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static Object parse(String where, JsonNode node) {
        String apiVersion = node.path("apiVersion").asText("");
        String kind = node.path("kind").asText("");
        Class<?> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            throw new ManifestException(where + ": apiVersion '" + apiVersion + "' kind '" + kind
                    + "' is none of the kinds checked here: " + KINDS.keySet());
        }
        Object value;
        try {
            value = YAML.treeToValue(node, type);
        } catch (IOException e) {
            throw new ManifestException(where + " (" + kind + "): " + e.getMessage(), e);
        }
        strict(where + " (" + kind + ")", value);
        return value;
    }

    /**
     * Fails if anything in {@code value} (a fabric8 model object, or a record holding some) kept fields its class
     * does not have, or holds a quantity that does not parse; names the path to the first one.
     */
    static void strict(String where, Object value) {
        walk(where, "", value);
    }

    private static void walk(String where, String path, Object value) {
        if (value == null) {
            return;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(where, path + "[" + i + "]", list.get(i));
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                walk(where, path + "." + e.getKey(), e.getValue());
            }
            return;
        }
        if (value instanceof Quantity q) {
            try {
                Quantity.getAmountInBytes(q);
            } catch (IllegalArgumentException e) {
                throw new ManifestException(where + ": " + path + " is not a quantity: '" + q + "'", e);
            }
            return;
        }
        Class<?> type = value.getClass();
        boolean fabric8 = type.getName().startsWith("io.fabric8.kubernetes.api.model.");
        if (!fabric8 && !type.isRecord()) {
            return; // strings, numbers, IntOrString's value
        }
        for (Method m : type.getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                    || m.getDeclaringClass() == Object.class || m.getDeclaringClass().isInterface()
                    || !(type.isRecord() || m.getName().startsWith("get"))) {
                continue;
            }
            Object child;
            try {
                child = m.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue; // a derived getter that does not apply (none in the kinds read here)
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    throw new ManifestException(where + ": " + (path.isEmpty() ? "the top level" : path)
                            + " has fields that " + type.getSimpleName() + " does not: " + extra.keySet());
                }
                continue;
            }
            String name = type.isRecord() ? m.getName()
                    : Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            walk(where, path + "." + name, child);
        }
    }

    List<Document> documents() {
        return documents;
    }

    <T> List<T> all(Class<T> type) {
        return documents.stream().map(Document::object).filter(type::isInstance).map(type::cast).toList();
    }

    /** The documents of {@code type} under {@code dir} (relative to {@link #ROOT}). */
    <T> List<T> under(String dir, Class<T> type) {
        Path d = ROOT.resolve(dir);
        return documents.stream().filter(doc -> doc.file().startsWith(d)).map(Document::object)
                .filter(type::isInstance).map(type::cast).toList();
    }

    /** The one object of {@code type} named {@code name} under {@code dir}; fails if there is not exactly one. */
    <T extends HasMetadata> T named(String dir, Class<T> type, String name) {
        List<T> found = under(dir, type).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
        if (found.size() != 1) {
            throw new ManifestException(found.size() + " " + type.getSimpleName() + "s named '" + name + "' under "
                    + ROOT.resolve(dir) + ", expected one");
        }
        return found.get(0);
    }

    /** The Prometheus Adapter's rules, parsed strictly against {@link AdapterConfig}. */
    static AdapterConfig adapterConfig() {
        try {
            AdapterConfig config = YAML.readValue(ADAPTER_RULES.toFile(), AdapterConfig.class);
            strict(ADAPTER_RULES.toString(), config);
            return config;
        } catch (IOException e) {
            throw new ManifestException(ADAPTER_RULES + ": " + e.getMessage(), e);
        }
    }

    /** A manifest that does not read as its kind, or breaks a rule the tests check. */
    static final class ManifestException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ManifestException(String message) {
            super(message);
        }

        ManifestException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
