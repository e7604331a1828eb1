package dev.sluice.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of the Sluice starter, under {@code sluice.*}.
 *
 * <pre>{@code
 * sluice:
 *   models:
 *     rec:
 *       path: /models/rec.onnx
 *       max-batch-size: 16
 *       max-delay: 2ms
 *   http:
 *     max-request-size: 32MB
 * }</pre>
 */
@ConfigurationProperties("sluice")
public class SluiceProperties {

    /**
     * How long closing the application lets deployments finish the requests they admitted, counted from the end of
     * the shutdown delay; what is still running then fails with a 503 (gRPC: UNAVAILABLE).
     */
    private Duration shutdownGracePeriod = Duration.ofSeconds(30);

    /**
     * How long the application goes on taking new requests after it turned unready on shutdown (SIGTERM), so that
     * load balancers stop sending before it refuses: Kubernetes removes a terminating pod from its Services'
     * endpoints asynchronously, usually within a few seconds. Unset: 5s when running on Kubernetes, 0 elsewhere.
     */
    private Duration shutdownDelay;

    /**
     * Models to deploy without code, by deployment name: ONNX files (needs sluice-gpu on the class path) and XGBoost
     * {@code .json} or {@code .ubj} files (needs sluice-xgboost).
     */
    private final Map<String, Model> models = new LinkedHashMap<>();

    private final Http http = new Http();

    public Duration getShutdownGracePeriod() {
        return shutdownGracePeriod;
    }

    public void setShutdownGracePeriod(Duration shutdownGracePeriod) {
        this.shutdownGracePeriod = shutdownGracePeriod;
    }

    public Duration getShutdownDelay() {
        return shutdownDelay;
    }

    public void setShutdownDelay(Duration shutdownDelay) {
        this.shutdownDelay = shutdownDelay;
    }

    public Map<String, Model> getModels() {
        return models;
    }

    public Http getHttp() {
        return http;
    }

    /** One model file served as a deployment named by its key. Unset values keep Sluice's defaults. */
    public static class Model {

        /**
         * The model file: XGBoost's own {@code .json} or {@code .ubj}, any other name an ONNX model. Read once at
         * start-up; never taken from a request.
         */
        private String path;

        /** Most requests per batch (Sluice's default: 32). */
        private Integer maxBatchSize;

        /** Longest a request waits for company once a replica is free (Sluice's default: 2ms). */
        private Duration maxDelay;

        /**
         * Batch sizes the model runs best at, e.g. {@code 1,8,32} (Triton's preferred batch sizes): batches are cut
         * to the largest of them that is waiting. Each from 1 to max-batch-size. Default: none.
         */
        private List<Integer> preferredBatchSizes = new ArrayList<>();

        /** Most requests waiting for a replica; beyond it requests are refused (HTTP 429). Default 4096. */
        private Integer queueCapacity;

        /**
         * Longest a new request may expect to wait for a replica: when the requests queued ahead of it, at the measured
         * cost of the batches the model runs, would keep it waiting longer (or longer than its own timeout), it is
         * refused at once (HTTP 429 with Retry-After). Default: 16 times the measured time of a batch of the size the
         * batch policy aims for, at least one second. 0 switches it off (only queue-capacity limits the queue).
         */
        private Duration maxQueueDelay;

        /** Fewest replicas the autoscaler keeps (0: scale to zero when idle). */
        private int minReplicas = 1;

        /** Most replicas the autoscaler starts. */
        private int maxReplicas = 1;

        /**
         * CPUs of the runtime's execution budget each model call of a replica holds while it runs (also its
         * ONNX Runtime intra-op threads, or its XGBoost threads); 0: its calls never wait for the budget.
         */
        private int cpus = 1;

        /** GPUs each replica takes: 0, a fraction of one device, or whole devices (ONNX models only). */
        private double gpus = 0;

        /** Let a replica placed on a GPU run on CPU if the CUDA provider cannot load (ONNX models only). */
        private boolean allowCpuFallback = false;

        /**
         * The value padded into an input's open dimensions when requests in a batch differ there, by input name
         * (ONNX models only).
         */
        private final Map<String, Double> pad = new LinkedHashMap<>();

        /** Settings only an XGBoost model ({@code .json} or {@code .ubj}) has. */
        private final Xgboost xgboost = new Xgboost();

        public String getPath() {
            return path;
        }

        public void setPath(String path) {
            this.path = path;
        }

        public List<Integer> getPreferredBatchSizes() {
            return java.util.Collections.unmodifiableList(preferredBatchSizes);
        }

        public void setPreferredBatchSizes(List<Integer> preferredBatchSizes) {
            this.preferredBatchSizes = preferredBatchSizes == null ? new ArrayList<>() : new ArrayList<>(preferredBatchSizes);
        }

        public Integer getMaxBatchSize() {
            return maxBatchSize;
        }

        public void setMaxBatchSize(Integer maxBatchSize) {
            this.maxBatchSize = maxBatchSize;
        }

        public Duration getMaxDelay() {
            return maxDelay;
        }

        public void setMaxDelay(Duration maxDelay) {
            this.maxDelay = maxDelay;
        }

        public Integer getQueueCapacity() {
            return queueCapacity;
        }

        public void setQueueCapacity(Integer queueCapacity) {
            this.queueCapacity = queueCapacity;
        }

        public Duration getMaxQueueDelay() {
            return maxQueueDelay;
        }

        public void setMaxQueueDelay(Duration maxQueueDelay) {
            this.maxQueueDelay = maxQueueDelay;
        }

        public int getMinReplicas() {
            return minReplicas;
        }

        public void setMinReplicas(int minReplicas) {
            this.minReplicas = minReplicas;
        }

        public int getMaxReplicas() {
            return maxReplicas;
        }

        public void setMaxReplicas(int maxReplicas) {
            this.maxReplicas = maxReplicas;
        }

        public int getCpus() {
            return cpus;
        }

        public void setCpus(int cpus) {
            this.cpus = cpus;
        }

        public double getGpus() {
            return gpus;
        }

        public void setGpus(double gpus) {
            this.gpus = gpus;
        }

        public boolean isAllowCpuFallback() {
            return allowCpuFallback;
        }

        public void setAllowCpuFallback(boolean allowCpuFallback) {
            this.allowCpuFallback = allowCpuFallback;
        }

        public Map<String, Double> getPad() {
            return pad;
        }

        public Xgboost getXgboost() {
            return xgboost;
        }
    }

    /**
     * Settings of a model under {@code sluice.models.<name>.xgboost}, for XGBoost models only.
     *
     * <pre>{@code
     * sluice:
     *   models:
     *     fraud:
     *       path: /models/fraud.json
     *       xgboost:
     *         outputs: margin, contributions
     * }</pre>
     */
    public static class Xgboost {

        /**
         * Outputs served over the Open Inference Protocol besides {@code prediction} (the objective's values,
         * always served): {@code class} (the predicted class, INT64 [-1]; classifiers only), {@code margin} (the
         * raw score, FP32 [-1, groups]) and {@code contributions} (each feature's contribution and the bias, FP32
         * [-1, features + 1], or [-1, groups, features + 1] for several classes). A client picks among them with
         * the request's "outputs"; each listed output is computed for every request, and contributions cost tens
         * of times a prediction. Default: none.
         */
        private List<String> outputs = new ArrayList<>();

        public List<String> getOutputs() {
            return java.util.Collections.unmodifiableList(outputs);
        }

        public void setOutputs(List<String> outputs) {
            this.outputs = outputs == null ? new ArrayList<>() : new ArrayList<>(outputs);
        }
    }

    /** The HTTP endpoints: the Open Inference Protocol ({@code /v2/...}) and the typed ones ({@code /sluice/...}). */
    public static class Http {
        /** The default of {@code sluice.http.request-timeout}. */
        public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

        /** Whether the endpoints are mounted (in a web application: Spring MVC or WebFlux). */
        private boolean enabled = true;

        /** Largest request body accepted, on every endpoint; larger ones get 413 before they are parsed. */
        private DataSize maxRequestSize = DataSize.ofMegabytes(32);

        /**
         * How long a request may wait before it fails with 504 (30 s by default, the servlet containers' own
         * default for an asynchronous request; 0 for no limit). For a deployment it bounds the wait for a replica,
         * not the model's own run; for a pipeline ({@code /sluice/{name}}), the whole pipeline. On Spring MVC the
         * web server's asynchronous request timeout is set to this plus {@code 1 s} (none with 0) unless
         * {@code spring.mvc.async.request-timeout} is set, so Sluice's own 504, which names what timed out and
         * withdraws a request still queued, comes first.
         */
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public DataSize getMaxRequestSize() {
            return maxRequestSize;
        }

        public void setMaxRequestSize(DataSize maxRequestSize) {
            this.maxRequestSize = maxRequestSize;
        }

        public Duration getRequestTimeout() {
            return requestTimeout;
        }

        public void setRequestTimeout(Duration requestTimeout) {
            if (requestTimeout != null && requestTimeout.isNegative()) {
                throw new IllegalArgumentException("sluice.http.request-timeout must be positive, or 0 for no limit, was "
                        + requestTimeout);
            }
            this.requestTimeout = requestTimeout;
        }

        /** The request timeout, or null for no limit (set to 0, or to nothing). */
        public Duration requestTimeoutOrNull() {
            return requestTimeout == null || requestTimeout.isZero() ? null : requestTimeout;
        }
    }
}
