package dev.sluice.examples.ocr;

import dev.sluice.Resources;
import dev.sluice.Sluice;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.spring.grpc.SluiceGrpcLifecycle;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;

/**
 * The OCR reference service: a Spring Boot application with the Sluice starter. {@code POST /ocr} reads an image
 * (raw body or multipart part {@code image}) and answers JSON lines; {@code GET /} is a page to try it; the
 * three models are also served over the Open Inference Protocol ({@code /v2/models/det|cls|rec}) and the
 * pipeline at {@code POST /sluice/ocr}, with health and metrics in Actuator; the models also over the protocol's
 * gRPC service on {@code sluice.grpc.port} (8081; the self-check takes a free port).
 *
 * <pre>{@code
 * java -jar examples/ocr-service/target/ocr-service-exec.jar                # serves at http://localhost:8080/
 * java -jar examples/ocr-service/target/ocr-service-exec.jar --self-check   # reads a rendered page over HTTP and gRPC, exits
 * }</pre>
 *
 * The models are read from {@code ocr.models} (default: where the build fetches them).
 *
 * <p>As a small cluster ({@link OcrLayout}): workers deploy some of the models and serve them
 * ({@code --sluice.ocr.models=rec}), and an entry runs the pipeline and calls them there
 * ({@code --sluice.ocr.models= --sluice.ocr.remote.rec=dns:///rec-workers:8081} and the others).
 */
@SpringBootApplication
public class OcrApplication {

    public static void main(String[] args) {
        List<String> arguments = new ArrayList<>(List.of(args));
        boolean selfCheck = arguments.contains("--self-check");
        if (selfCheck && arguments.stream().noneMatch(a -> a.startsWith("--server.port="))) {
            arguments.add("--server.port=0"); // a self-check takes any free port, unless told one
        }
        if (selfCheck && arguments.stream().noneMatch(a -> a.startsWith("--sluice.grpc.port="))) {
            arguments.add("--sluice.grpc.port=0"); // and so for gRPC
        }
        HeapReturn.enable(HeapReturn.DEFAULT_INTERVAL);
        HeapReturn.trimNativeHeap(HeapReturn.DEFAULT_INTERVAL);
        ConfigurableApplicationContext context = SpringApplication.run(OcrApplication.class, arguments.toArray(String[]::new));
        URI url = URI.create("http://" + httpHost(context.getEnvironment().getProperty("server.address")) + ":"
                + context.getEnvironment().getProperty("local.server.port") + "/");
        OcrLayout layout = context.getBean(OcrLayout.class);
        OcrService service = context.getBeanProvider(OcrService.class).getIfAvailable();
        String local = String.join(", ", layout.local());
        if (service != null) {
            System.out.println("OCR service at " + url + "  (POST /ocr with an image; GET / for a page to try it)");
            System.out.println("  curl -s -X POST " + url.resolve("/ocr") + " -H 'Content-Type: image/png' --data-binary @page.png");
        } else {
            System.out.println("OCR worker at " + url + ": " + local + " over the Open Inference Protocol (/v2/models/...),"
                    + " no page pipeline");
        }
        layout.remote().forEach((model, target) -> System.out.println("  " + model + " called on " + target));
        if (!local.isEmpty()) {
            context.getBeanProvider(SluiceGrpcLifecycle.class).ifAvailable(grpc -> System.out.println(
                    local + " over the Open Inference Protocol's gRPC service at " + grpcTarget(grpc.address())));
        }
        if (selfCheck) {
            boolean ok;
            try {
                if (service == null) {
                    System.out.println("self-check FAILED: this process is a worker (sluice.ocr.models=" + local
                            + ", no sluice.ocr.remote.*) and has no page pipeline to check: run it on the entry");
                    ok = false;
                } else {
                    ok = OcrSelfCheck.check(url, System.out);
                    SluiceGrpcLifecycle grpc = context.getBeanProvider(SluiceGrpcLifecycle.class).getIfAvailable();
                    if (!layout.remote().isEmpty()) {
                        System.out.println("self-check over gRPC: not here: " + String.join(", ", layout.remote().keySet())
                                + " run on other servers (the page above was read through them)");
                    } else if (grpc != null) { // not with sluice.grpc.enabled=false
                        ok &= OcrSelfCheck.checkGrpc(grpcTarget(grpc.address()), service, System.out);
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
                ok = false;
            }
            int status = SpringApplication.exit(context, () -> 0);
            System.exit(ok ? status : 1);
        }
    }

    /**
     * The host the service is reached at: {@code server.address} when it binds one (a process of the cluster on
     * 127.0.0.2, whose hosts file may not name localhost), else localhost.
     */
    static String httpHost(String serverAddress) {
        if (serverAddress == null || serverAddress.isBlank() || serverAddress.equals("0.0.0.0")
                || serverAddress.equals("::")) {
            return "localhost";
        }
        return serverAddress.contains(":") && !serverAddress.startsWith("[") ? "[" + serverAddress + "]" : serverAddress;
    }

    /** {@code host:port} of {@code address}, as a gRPC client takes it: loopback for a server on every interface. */
    static String grpcTarget(InetSocketAddress address) {
        String host = address.getAddress() == null || address.getAddress().isAnyLocalAddress() ? "localhost"
                : address.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /**
     * This machine's cores as the runtime's execution budget: the six model replicas (detector 1-2, classifier
     * 2, recognizer 2, one ONNX Runtime thread each) all start on any machine, and no more model calls run at
     * once than there are cores, the calls of older pages first.
     */
    @Bean
    Resources resources() {
        return Resources.detect();
    }

    /** Which models this process deploys and which it calls elsewhere: a start-up failure naming what is wrong. */
    @Bean
    OcrLayout ocrLayout(Environment environment) {
        return OcrLayout.of(environment);
    }

    /**
     * The models called on other servers ({@code sluice.ocr.remote.*}); none for a worker or the whole service in
     * one process. Its health says whether they are reachable ({@code remoteModels}, in the readiness group).
     */
    @Bean
    RemoteModels remoteModelsHealthIndicator(OcrLayout layout) {
        return new RemoteModels(layout.remote());
    }

    /** The page pipeline, with the models local or remote as {@link OcrLayout} says; absent on a worker. */
    @Bean
    @Conditional(OcrLayout.PipelineCondition.class)
    OcrService ocrService(Sluice sluice, OcrLayout layout, RemoteModels remote, @Value("${ocr.models:}") String models) {
        OcrService.Builder b = OcrService.builder(modelsDirectory(models)).sluice(sluice);
        if (remote.get(OcrModels.DET) != null) {
            b.detector(remote.get(OcrModels.DET));
        }
        if (remote.get(OcrModels.CLS) != null) {
            b.classifier(remote.get(OcrModels.CLS));
        }
        if (remote.get(OcrModels.REC) != null) {
            b.recognizer(remote.get(OcrModels.REC));
        }
        return b.build();
    }

    /** A worker's models ({@code sluice.ocr.models=rec}, no remote ones): served over REST and gRPC, no pipeline. */
    @Bean
    @Conditional(OcrLayout.WorkerCondition.class)
    OcrModels ocrModels(Sluice sluice, OcrLayout layout, @Value("${ocr.models:}") String models) {
        return OcrService.builder(modelsDirectory(models)).sluice(sluice).buildModels(layout.local());
    }

    private static Path modelsDirectory(String models) {
        return models.isBlank() ? OcrService.defaultModels() : Path.of(models);
    }

    /** The pipeline as a bean: the starter also serves it at {@code POST /sluice/ocr} (JSON: a base64 image). */
    @Bean
    @Conditional(OcrLayout.PipelineCondition.class)
    Pipeline<byte[], OcrResult> ocr(OcrService service) {
        return service.pipeline();
    }
}
