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
        URI url = URI.create("http://localhost:" + context.getEnvironment().getProperty("local.server.port") + "/");
        System.out.println("OCR service at " + url + "  (POST /ocr with an image; GET / for a page to try it)");
        System.out.println("  curl -s -X POST " + url.resolve("/ocr") + " -H 'Content-Type: image/png' --data-binary @page.png");
        context.getBeanProvider(SluiceGrpcLifecycle.class).ifAvailable(grpc -> System.out.println(
                "det, cls and rec over the Open Inference Protocol's gRPC service at " + grpcTarget(grpc.address())));
        if (selfCheck) {
            boolean ok;
            try {
                ok = OcrSelfCheck.check(url, System.out);
                SluiceGrpcLifecycle grpc = context.getBeanProvider(SluiceGrpcLifecycle.class).getIfAvailable();
                if (grpc != null) { // not with sluice.grpc.enabled=false
                    ok &= OcrSelfCheck.checkGrpc(grpcTarget(grpc.address()), context.getBean(OcrService.class),
                            System.out);
                }
            } catch (Exception e) {
                e.printStackTrace();
                ok = false;
            }
            int status = SpringApplication.exit(context, () -> 0);
            System.exit(ok ? status : 1);
        }
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

    @Bean
    OcrService ocrService(Sluice sluice, @Value("${ocr.models:}") String models) {
        return OcrService.builder(models.isBlank() ? OcrService.defaultModels() : Path.of(models)).sluice(sluice).build();
    }

    /** The pipeline as a bean: the starter also serves it at {@code POST /sluice/ocr} (JSON: a base64 image). */
    @Bean
    Pipeline<byte[], OcrResult> ocr(OcrService service) {
        return service.pipeline();
    }
}
