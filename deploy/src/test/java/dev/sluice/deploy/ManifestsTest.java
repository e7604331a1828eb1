package dev.sluice.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.deploy.Manifests.ManifestException;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests read offline: every document parses strictly into its kind (fabric8's model classes, and
 * the schemas written here for KEDA, kustomize and the Prometheus Adapter), and the objects agree with each other and
 * with the OCR service they run: selectors, ports, probes, shutdown timing, the properties and remote targets they
 * give the service, and the series the scaling queries read.
 */
class ManifestsTest {
    private static final String NAMESPACE = "ocr";
    private static final List<String> POOLS = List.of("det", "cls", "rec");

    private final Manifests manifests = Manifests.load();

    private List<Deployment> deployments() {
        return manifests.under("base", Deployment.class);
    }

    private static Container container(Deployment d) {
        List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size(), d.getMetadata().getName() + ": one container");
        return containers.get(0);
    }

    /** The {@code --name=value} arguments of a container, by name. */
    private static Map<String, String> properties(Container c) {
        Map<String, String> props = new LinkedHashMap<>();
        for (String arg : c.getArgs()) {
            assertTrue(arg.startsWith("--") && arg.contains("="), "an argument that is not --name=value: " + arg);
            props.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        return props;
    }

    private static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    @Test
    void everyManifestParsesStrictlyIntoItsKind() {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (Manifests.Document d : manifests.documents()) {
            kinds.merge(d.object().getClass().getSimpleName(), 1, Integer::sum);
        }
        // Every file under kubernetes/ was read (a file of an unknown kind fails load()), and these are the objects:
        // 4 Deployments and the GPU overlay's patch, a partial Deployment.
        assertEquals(Map.of("Namespace", 1, "Deployment", 5, "Service", 4, "PodDisruptionBudget", 4,
                "KedaScaledObject", 4, "HorizontalPodAutoscaler", 4, "Kustomization", 6), kinds, kinds.toString());
        assertNotNull(Manifests.adapterConfig());
    }

    @Test
    void aFieldTheKindDoesNotHaveIsRefusedWithItsPath() {
        String typo = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i
                          readinessProbe:
                            httpGet: {path: /, port: 80}
                            periodSecond: 2
                """;
        ManifestException e = assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("typo.yaml"), typo));
        assertTrue(e.getMessage().contains("spec.template.spec.containers[0].readinessProbe")
                && e.getMessage().contains("periodSecond"), e.getMessage());
    }

    @Test
    void aValueOfTheWrongTypeADuplicateKeyOrABadQuantityIsRefused() {
        String base = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n";
        assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("t.yaml"),
                base + "  ports: [{port: eighty}]\n"));
        assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("t.yaml"),
                base + "  clusterIP: None\n  clusterIP: 10.0.0.1\n"));
        ManifestException quantity = assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("t.yaml"), """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers: [{name: c, image: i, resources: {limits: {memory: 1.5 GB}}}]
                """));
        assertTrue(quantity.getMessage().contains("resources.limits.memory"), quantity.getMessage());
        ManifestException kind = assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("t.yaml"),
                "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: x}\n"));
        assertTrue(kind.getMessage().contains("apps/v1beta1"), kind.getMessage());
    }

    @Test
    void theKedaSchemaRefusesWhatKedaWould() {
        String object = """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: x}
                spec:
                  scaleTargetRef: {name: x}
                  triggers:
                    - type: prometheus
                      metadata: {serverAddress: "http://p:9090", query: "sum(up)", threshold: %s%s}
                """;
        Manifests.parse(Path.of("ok.yaml"), object.formatted("\"4\"", ""));
        for (String[] bad : new String[][] {{"4", ""}, {"\"four\"", ""}, {"\"4\"", ", treshold: \"4\""}}) {
            ManifestException e = assertThrows(ManifestException.class,
                    () -> Manifests.parse(Path.of("bad.yaml"), object.formatted(bad[0], bad[1])));
            assertTrue(e.getMessage().contains("threshold"), e.getMessage());
        }
        ManifestException unknown = assertThrows(ManifestException.class, () -> Manifests.parse(Path.of("bad.yaml"),
                object.formatted("\"4\"", "").replace("scaleTargetRef:", "minReplicas: 1\n  scaleTargetRef:")));
        assertTrue(unknown.getMessage().contains("minReplicas"), unknown.getMessage());
    }

    @Test
    void theAdapterSchemaRefusesRulesTheAdapterWouldNotServe() throws Exception {
        String rule = """
                rules:
                  - seriesQuery: 'sluice_in_flight{namespace!="",pod!=""}'
                    resources: {overrides: {namespace: {resource: namespace}, pod: {resource: pod}}}
                    name: {matches: ^sluice_in_flight$, as: sluice_in_flight}
                    metricsQuery: %s
                """;
        assertEquals("sum(x{a=\"b\"}) by (pod)", read(rule.formatted("sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)"))
                .rules().get(0).render("x", "a=\"b\"", "pod"));
        for (String[] bad : new String[][] {
                {rule.formatted("sum(<<.Series>>) by (<<.GroupBy>>)"), "LabelMatchers"},
                {rule.formatted("sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.Groupby>>)"), "template field"},
                {rule.formatted("sum(<<.Series>>{<<.LabelMatchers>>})").replace("name:", "naming:"), "naming"},
                {rule.formatted("sum(<<.Series>>{<<.LabelMatchers>>})").replaceFirst("resources: .*", "resources: {}"),
                        "resources"}}) {
            Exception e = assertThrows(Exception.class, () -> read(bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), bad[1] + ": " + e.getMessage());
        }
    }

    private static AdapterConfig read(String yaml) throws Exception {
        AdapterConfig config = Manifests.YAML.readValue(yaml, AdapterConfig.class);
        Manifests.strict("adapter config", config);
        return config;
    }

    @Test
    void kustomizationsNameFilesThatExistAndEveryManifestIsInOne() throws Exception {
        Set<Path> named = new HashSet<>();
        for (Manifests.Document d : manifests.documents()) {
            if (d.object() instanceof Kustomization k) {
                Path dir = d.file().getParent();
                for (String r : k.resources()) {
                    Path p = dir.resolve(r).normalize();
                    assertTrue(Files.isRegularFile(p) || Files.isRegularFile(p.resolve("kustomization.yaml")),
                            d.file() + " names " + r + ", which is neither a file nor a kustomization");
                    named.add(p);
                }
                for (Kustomization.Patch patch : k.patches() == null ? List.<Kustomization.Patch>of() : k.patches()) {
                    Path p = dir.resolve(patch.path()).normalize();
                    assertTrue(Files.isRegularFile(p), d.file() + " names the patch " + patch.path() + ", not a file");
                    named.add(p);
                }
            }
        }
        for (Path f : Manifests.yamlFiles()) {
            if (!f.getFileName().toString().equals("kustomization.yaml") && !f.equals(Manifests.ADAPTER_RULES)) {
                assertTrue(named.contains(f.normalize()), f + " is in no kustomization, so nothing deploys it");
            }
        }
    }

    @Test
    void selectorsMatchThePodsTheyMean() {
        for (Deployment d : deployments()) {
            Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
            assertTrue(selects(selector, d.getSpec().getTemplate().getMetadata().getLabels()),
                    d.getMetadata().getName() + ": the selector does not match its own pod template's labels");
        }
        for (Service s : manifests.under("base", Service.class)) {
            List<String> selected = deployments().stream()
                    .filter(d -> selects(s.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels()))
                    .map(d -> d.getMetadata().getName()).toList();
            assertEquals(1, selected.size(), "Service " + s.getMetadata().getName() + " selects " + selected);
        }
        for (PodDisruptionBudget pdb : manifests.under("base", PodDisruptionBudget.class)) {
            List<String> selected = deployments().stream()
                    .filter(d -> selects(pdb.getSpec().getSelector().getMatchLabels(),
                            d.getSpec().getTemplate().getMetadata().getLabels()))
                    .map(d -> d.getMetadata().getName()).toList();
            assertEquals(List.of(pdb.getMetadata().getName()), selected, "PodDisruptionBudget " + pdb.getMetadata().getName());
            // Leaving one pod of a pool of at least two: a drain never takes the whole pool down.
            assertEquals(new IntOrString(1), pdb.getSpec().getMaxUnavailable());
            assertTrue(manifests.named("base", Deployment.class, pdb.getMetadata().getName()).getSpec().getReplicas() >= 2);
        }
    }

    @Test
    void servicePortsAndProbesNameContainerPorts() {
        for (Service s : manifests.under("base", Service.class)) {
            Deployment d = deployments().stream()
                    .filter(x -> selects(s.getSpec().getSelector(), x.getSpec().getTemplate().getMetadata().getLabels()))
                    .findFirst().orElseThrow();
            for (ServicePort p : s.getSpec().getPorts()) {
                assertTrue(port(container(d), p.getTargetPort()).isPresent(), "Service " + s.getMetadata().getName()
                        + " port " + p.getName() + " targets " + p.getTargetPort() + ", which " + d.getMetadata().getName()
                        + "'s container does not have");
            }
        }
        for (Deployment d : deployments()) {
            Container c = container(d);
            for (Probe p : probes(c)) {
                assertNotNull(p.getHttpGet(), d.getMetadata().getName() + ": probes are HTTP GETs on Actuator's health");
                ContainerPort port = port(c, p.getHttpGet().getPort()).orElseThrow(() -> new AssertionError(
                        d.getMetadata().getName() + ": a probe on port " + p.getHttpGet().getPort() + ", not a container port"));
                assertEquals(8080, port.getContainerPort(), "probes go to the HTTP port (server.port)");
            }
        }
    }

    private static List<Probe> probes(Container c) {
        List<Probe> probes = new ArrayList<>();
        for (Probe p : new Probe[] {c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe()}) {
            if (p != null) {
                probes.add(p);
            }
        }
        return probes;
    }

    private static Optional<ContainerPort> port(Container c, IntOrString ref) {
        return c.getPorts().stream().filter(p -> ref.getStrVal() != null ? ref.getStrVal().equals(p.getName())
                : ref.getIntVal().equals(p.getContainerPort())).findFirst();
    }

    @Test
    void probePathsAreHealthGroupsTheServiceServes() throws Exception {
        // Actuator serves /actuator/health/liveness and /readiness when the health endpoint is exposed over HTTP and
        // the probe groups are on (management.endpoint.health.probes.enabled, or running on Kubernetes).
        String yml = Files.readString(ServiceFacts.OCR_SERVICE.resolve("resources/application.yml"));
        Matcher include = Pattern.compile("include:\\s*(\\S+)").matcher(yml);
        assertTrue(include.find() && List.of(include.group(1).split(",")).contains("health"),
                "the OCR service's application.yml does not expose the health endpoint over HTTP");
        for (Deployment d : deployments()) {
            Container c = container(d);
            assertEquals("true", properties(c).get("management.endpoint.health.probes.enabled"),
                    d.getMetadata().getName() + ": the probe groups must be on wherever the pod runs");
            assertEquals("/actuator/health/liveness", c.getLivenessProbe().getHttpGet().getPath());
            assertEquals("/actuator/health/liveness", c.getStartupProbe().getHttpGet().getPath());
            assertEquals("/actuator/health/readiness", c.getReadinessProbe().getHttpGet().getPath());
        }
    }

    @Test
    void theGracePeriodCoversPreStopTheShutdownDelayAndTheDrain() {
        for (Deployment d : deployments()) {
            Container c = container(d);
            List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
            assertEquals("sleep", preStop.get(0), d.getMetadata().getName());
            long preStopSeconds = Long.parseLong(preStop.get(1));
            Map<String, String> properties = properties(c);
            long delay = seconds(properties.get("sluice.shutdown-delay"));
            // The runtime drains for its grace period; the gRPC server lets calls end for its own (at least as long).
            long drain = Math.max(seconds(properties.get("sluice.shutdown-grace-period")),
                    seconds(properties.get("sluice.grpc.shutdown-grace-period")));
            // SIGTERM comes after preStop; then the service serves on, unready, for the delay and drains for at most
            // its grace period; the starter's README asks 10 s more for the JVM's exit, before Kubernetes' SIGKILL.
            long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            assertTrue(grace >= preStopSeconds + delay + drain + 10, d.getMetadata().getName() + ": grace " + grace
                    + " s < preStop " + preStopSeconds + " s + delay " + delay + " s + drain " + drain + " s + 10 s");
        }
    }

    /** Seconds of a duration property given as {@code <n>s}; fails on anything else, or on none. */
    private static long seconds(String value) {
        assertNotNull(value, "a shutdown duration is not given");
        assertTrue(value.matches("\\d+s"), "a duration in whole seconds, such as 15s: " + value);
        return Duration.parse("PT" + value.toUpperCase()).toSeconds();
    }

    @Test
    void everyPodRequestsWhatItIsLimitedToAndAFixedHeapFitsInIt() {
        for (Deployment d : deployments()) {
            Container c = container(d);
            Map<String, Quantity> requests = c.getResources().getRequests();
            Map<String, Quantity> limits = c.getResources().getLimits();
            assertNotNull(requests.get("cpu"), d.getMetadata().getName() + ": cpu request");
            // Memory: requested = limited, so the scheduler places the pod where its limit is really there.
            assertEquals(Quantity.getAmountInBytes(requests.get("memory")), Quantity.getAmountInBytes(limits.get("memory")),
                    d.getMetadata().getName());
            String javaOptions = c.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS")).findFirst()
                    .orElseThrow().getValue();
            Matcher xmx = Pattern.compile("-Xmx(\\d+)m").matcher(javaOptions);
            assertTrue(xmx.find(), d.getMetadata().getName() + ": a fixed heap (-Xmx<n>m)");
            long heap = Long.parseLong(xmx.group(1)) << 20;
            // The service's README ("Memory"): allow about 0.5 GB beside the heap.
            assertTrue(heap + (500L << 20) <= Quantity.getAmountInBytes(limits.get("memory")).longValue(),
                    d.getMetadata().getName() + ": heap " + xmx.group(1) + "m + 0.5 GB exceeds the memory limit");
        }
    }

    @Test
    void thePropertiesGivenToTheServiceAreOnesItReads() {
        Set<String> metadata = ServiceFacts.metadataProperties();
        assertTrue(metadata.contains("server.port") && metadata.contains("sluice.shutdown-grace-period"),
                "Spring Boot's and the starter's configuration metadata are on the class path");
        List<String> sources = ServiceFacts.ocrServiceSources();
        List<String> unread = new ArrayList<>();
        for (Deployment d : deployments()) {
            for (String property : properties(container(d)).keySet()) {
                if (!ServiceFacts.serviceReads(property, metadata, sources)) {
                    unread.add(d.getMetadata().getName() + ": " + property);
                }
            }
        }
        assertEquals(List.of(), unread, "properties the OCR service does not read");
    }

    @Test
    void aPropertyCountsAsReadWhenInMetadataAPlaceholderAStringOrAMapBoundAtItsParent() {
        List<String> sources = List.of("OcrService ocrService(@Value(\"${ocr.models:}\") String models)",
                "static final String REMOTE = \"sluice.ocr.remote\";\n"
                        + "Binder.get(env).bind(REMOTE, Bindable.mapOf(String.class, String.class))");
        assertTrue(ServiceFacts.serviceReads("server.port", Set.of("server.port"), sources));
        assertTrue(ServiceFacts.serviceReads("ocr.models", Set.of(), sources));
        assertTrue(ServiceFacts.serviceReads("sluice.ocr.remote.rec", Set.of(), sources));
        assertFalse(ServiceFacts.serviceReads("ocr.model", Set.of(), sources), "a misspelt name");
        assertFalse(ServiceFacts.serviceReads("sluice.ocr.remote.rec.target", Set.of(), sources), "under a map's key");
        assertFalse(ServiceFacts.serviceReads("sluice.ocr.models", Set.of("sluice.ocr.model"), sources));
    }

    @Test
    void eachPoolServesItsModelAndTheEntryCallsThePoolsHeadlessServicesOnTheirGrpcPort() {
        Container entry = container(manifests.named("base", Deployment.class, "ocr-entry"));
        Map<String, String> entryProperties = properties(entry);
        assertEquals("", entryProperties.get("sluice.ocr.models"), "the entry deploys no model of its own");
        Pattern target = Pattern.compile("dns:///([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc\\.cluster\\.local:(\\d+)");
        for (String model : POOLS) {
            Deployment pool = manifests.named("base", Deployment.class, model + "-workers");
            assertEquals(model, properties(container(pool)).get("sluice.ocr.models"), pool.getMetadata().getName());
            String remote = entryProperties.get("sluice.ocr.remote." + model);
            assertNotNull(remote, "the entry names no sluice.ocr.remote." + model);
            Matcher m = target.matcher(remote);
            assertTrue(m.matches(), "sluice.ocr.remote." + model + " is not a headless Service's DNS target: " + remote);
            assertEquals(NAMESPACE, m.group(2), remote);
            Service service = manifests.named("base", Service.class, m.group(1));
            assertEquals("None", service.getSpec().getClusterIP(), m.group(1) + " is headless, so clients see every pod");
            assertTrue(selects(service.getSpec().getSelector(), pool.getSpec().getTemplate().getMetadata().getLabels()),
                    m.group(1) + " selects the " + model + " pool");
            int port = Integer.parseInt(m.group(3));
            ServicePort servicePort = service.getSpec().getPorts().stream().filter(p -> p.getPort() == port).findFirst()
                    .orElseThrow(() -> new AssertionError(m.group(1) + " has no port " + port));
            assertEquals(8081, port(container(pool), servicePort.getTargetPort()).orElseThrow().getContainerPort(),
                    "the remote target reaches the pool's gRPC port (sluice.grpc.port, 8081)");
        }
    }

    @Test
    void everyScalingQueryNamesSeriesTheStarterExports() {
        Set<String> exported = ServiceFacts.exportedSeries();
        assertTrue(exported.contains("sluice_in_flight") && exported.contains("sluice_request_latency_seconds_count"),
                "the starter's meters were found: " + exported);
        List<String> queries = new ArrayList<>();
        for (KedaScaledObject so : manifests.all(KedaScaledObject.class)) {
            so.spec().triggers().forEach(t -> queries.add(t.query()));
        }
        AdapterConfig adapter = Manifests.adapterConfig();
        for (AdapterConfig.Rule rule : adapter.rules()) {
            queries.add(rule.seriesQuery());
        }
        for (String q : queries) {
            Set<String> series = ServiceFacts.seriesIn(q);
            assertFalse(series.isEmpty(), "a query that selects no series by name: " + q);
            assertTrue(exported.containsAll(series), q + " names series the README does not document as exported; it documents " + exported);
        }
        // Each HPA's metric is one the adapter serves, under that name.
        for (HorizontalPodAutoscaler hpa : manifests.all(HorizontalPodAutoscaler.class)) {
            for (MetricSpec metric : hpa.getSpec().getMetrics()) {
                String name = metric.getPods().getMetric().getName();
                assertTrue(adapter.rules().stream().anyMatch(r -> ServiceFacts.seriesIn(r.seriesQuery()).stream()
                        .anyMatch(s -> name.equals(r.exposedName(s)))), hpa.getMetadata().getName()
                        + " reads " + name + ", which no adapter rule serves");
            }
        }
    }

    @Test
    void theHpasAndTheScaledObjectsScaleTheSameDeploymentsToTheSameTargets() {
        List<KedaScaledObject> keda = manifests.all(KedaScaledObject.class);
        List<HorizontalPodAutoscaler> hpas = manifests.all(HorizontalPodAutoscaler.class);
        assertEquals(deployments().size(), keda.size(), "one ScaledObject per Deployment");
        assertEquals(deployments().size(), hpas.size(), "one HPA per Deployment");
        for (HorizontalPodAutoscaler hpa : hpas) {
            String name = hpa.getMetadata().getName();
            Deployment target = manifests.named("base", Deployment.class, hpa.getSpec().getScaleTargetRef().getName());
            KedaScaledObject so = keda.stream().filter(k -> k.spec().scaleTargetRef().name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no ScaledObject scales " + name));
            assertEquals(target.getMetadata().getName(), name, "an autoscaler is named for its target");
            assertEquals(hpa.getSpec().getMinReplicas(), so.spec().minReplicaCount(), name + " min");
            assertEquals(hpa.getSpec().getMaxReplicas(), so.spec().maxReplicaCount(), name + " max");
            assertTrue(target.getSpec().getReplicas() >= hpa.getSpec().getMinReplicas(), name + ": starts at or above min");
            MetricSpec metric = hpa.getSpec().getMetrics().get(0);
            assertEquals("Pods", metric.getType());
            KedaScaledObject.Trigger trigger = so.spec().triggers().get(0);
            assertEquals(Quantity.getAmountInBytes(metric.getPods().getTarget().getAverageValue()).doubleValue(),
                    trigger.threshold(), name + ": the HPA's averageValue and KEDA's threshold");
            // The same series, the same Sluice deployment (or pipeline), and only the target's pods.
            assertEquals(Set.of(metric.getPods().getMetric().getName()), ServiceFacts.seriesIn(trigger.query()), name);
            metric.getPods().getMetric().getSelector().getMatchLabels().forEach((k, v) ->
                    assertTrue(trigger.query().contains(k + "=\"" + v + "\""), name + ": KEDA's query misses " + k + "=" + v));
            assertTrue(trigger.query().contains("namespace=\"" + NAMESPACE + "\"") && trigger.query().contains(
                    "pod=~\"" + name + "-"), name + ": KEDA's query is limited to the target's pods: " + trigger.query());
        }
    }

    @Test
    void theGpuOverlayPatchesTheRecognizerContainerWithAGpu() {
        List<Manifests.Document> patch = Manifests.parse(Manifests.ROOT.resolve("overlays/gpu/rec-workers-gpu.yaml"));
        Deployment gpu = (Deployment) patch.get(0).object();
        Deployment base = manifests.named("base", Deployment.class, gpu.getMetadata().getName());
        Container patched = gpu.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals(container(base).getName(), patched.getName(), "a strategic merge patch merges containers by name");
        assertEquals(new Quantity("1"), patched.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(new Quantity("1"), patched.getResources().getRequests().get("nvidia.com/gpu"),
                "an extended resource's request equals its limit");
        assertTrue(gpu.getSpec().getTemplate().getSpec().getTolerations().stream()
                .anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())), "tolerates the GPU nodes' taint");
    }

    @Test
    void kustomizeBuildsEveryVariantIntoManifestsThatParseStrictly() throws Exception {
        Optional<Path> kubectl = Kubectl.find();
        // kubectl is no Debian package, so CI cannot count on it: without it the overlays are checked file by file only.
        assumeTrue(kubectl.isPresent(),
                "no kubectl on the PATH: the kustomize builds are not checked");
        for (String variant : List.of(".", "overlays/hpa", "overlays/gpu")) {
            String rendered = Kubectl.kustomize(kubectl.get(), Manifests.ROOT.resolve(variant));
            List<Manifests.Document> docs = Manifests.parse(Path.of(variant + " (kustomize)"), rendered);
            assertEquals(17, docs.size(), variant + ": the namespace, 4 Deployments, 4 Services, 4 budgets, 4 autoscalers");
            for (Manifests.Document d : docs) {
                if (d.object() instanceof HasMetadata m && !(m instanceof Namespace)) {
                    assertEquals(NAMESPACE, m.getMetadata().getNamespace(), variant + ": " + m.getMetadata().getName());
                }
            }
            Deployment rec = docs.stream().map(Manifests.Document::object).filter(Deployment.class::isInstance)
                    .map(Deployment.class::cast).filter(d -> d.getMetadata().getName().equals("rec-workers")).findFirst().orElseThrow();
            Quantity gpus = container(rec).getResources().getLimits().get("nvidia.com/gpu");
            assertEquals(variant.equals("overlays/gpu") ? new Quantity("1") : null, gpus, variant + ": rec-workers' GPUs");
            // The patch merged into the container; it did not replace it.
            assertEquals(List.of("--sluice.ocr.models=rec"), container(rec).getArgs().subList(0, 1), variant);
        }
    }
}
