package dev.sluice.examples.readme;

import dev.sluice.Deployment;
import dev.sluice.DeploymentHandle;
import dev.sluice.Model;
import dev.sluice.ModelContext;
import dev.sluice.Resources;
import dev.sluice.Sluice;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

public class ServingQuickstart {
    public static void main(String[] args) throws Exception {
        try (Sluice sluice = Sluice.builder().resources(Resources.detect()).build()) {
            DeploymentHandle<float[], float[]> rec = sluice.deploy(recognizer().build());
            rec.awaitReady(Duration.ofSeconds(30));
            float[] x = {1, 2, 3};
            float[] y = rec.submit(x, Duration.ofSeconds(1)).get();       // a deadline for being dispatched
            System.out.println(Arrays.toString(y));                        // [2.0, 4.0, 6.0]
            System.out.println(sluice.status());                           // replicas, placement, queue, autoscaler and why
        }
    }

    static Deployment.Builder<float[], float[]> recognizer() {
        return Deployment.<float[], float[]>builder("recognizer", ctx -> new MyModel(ctx))   // one model per replica
                .batching(b -> b.maxBatchSize(32).maxDelay(Duration.ofMillis(2)))
                .replicas(1, 4)                                  // autoscaled between 1 and 4
                .resources(r -> r.cpus(1))                      // each call holds one CPU of the budget
                .healthCheck(Duration.ofSeconds(10), Duration.ofSeconds(2))
                .watchdog(Duration.ofSeconds(30))               // a batch running longer = replica hung
                .idempotent(true);                              // a lost replica's requests retry once elsewhere
    }

    /** The same on a GPU: each replica also takes a quarter of one (refused at deploy where there is none). */
    static Deployment<float[], float[]> onAQuarterOfAGpu() {
        return recognizer().resources(r -> r.cpus(1).gpus(0.25)).build();
    }

    /** Stands for your model: made once per replica, and told by its context where it runs. */
    static final class MyModel implements Model<float[], float[]> {
        MyModel(ModelContext ctx) {
            // open the model here: ctx.cpuThreads() threads, on ctx.gpu() if the replica has a GPU share
        }

        @Override
        public List<float[]> predict(List<float[]> batch) {
            return batch.stream().map(MyModel::twice).toList();
        }

        private static float[] twice(float[] x) {
            float[] y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = 2 * x[i];
            }
            return y;
        }
    }
}
