package dev.sluice.grpc;

import static dev.sluice.batching.Eventually.eventually;
import static dev.sluice.batching.TestFutures.failureOf;
import static dev.sluice.grpc.RemoteCluster.T;
import static dev.sluice.grpc.RemoteCluster.input;
import static dev.sluice.grpc.RemoteCluster.marker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.ReplicaState;
import dev.sluice.SluiceStatus;
import dev.sluice.batching.ManualTicker;
import dev.sluice.batching.ModelException;
import dev.sluice.tensor.Tensor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Outlier ejection of a {@link RemoteDeployment}'s servers ({@link OutlierEjection}): its rules on servers without
 * connections and a manual clock, then against real servers of which one has a broken model.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OutlierEjectionTest {
    private final ManualTicker ticker = new ManualTicker();

    /** Servers sharing one list whose ejection takes 3 failures in a row and lasts 1 s at first. */
    private List<RemoteServer> servers(int n) {
        LeastLoadedBalancer.ServerList list =
                new LeastLoadedBalancer.ServerList(new OutlierEjection(3, Duration.ofSeconds(1), ticker));
        List<RemoteServer> servers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            servers.add(new RemoteServer("127.0.0." + (2 + i) + ":1", null, list));
        }
        list.set(List.copyOf(servers));
        return servers;
    }

    private static void fail(RemoteServer s, int times, Status.Code code) {
        for (int i = 0; i < times; i++) {
            s.ended(Status.fromCode(code).withDescription("broken"));
        }
    }

    @Test
    void aServerFailingCallsInARowIsEjectedUntilItsTimeIsUpAndLongerTheNextTime() {
        List<RemoteServer> s = servers(3);
        RemoteServer broken = s.get(0);
        fail(broken, 2, Status.Code.INTERNAL);
        assertFalse(broken.ejected(ticker.read()), "two failures are not yet a streak of three");
        fail(broken, 1, Status.Code.INTERNAL);
        assertTrue(broken.ejected(ticker.read()));
        assertTrue(broken.ejection(ticker.read()).contains("3 calls failed in a row, the last INTERNAL (broken)"),
                broken.ejection(ticker.read()));
        for (int i = 0; i < 200; i++) {
            assertNotSame(broken, LeastLoadedBalancer.Picker.choose(s, Set.of(), ticker.read()));
        }
        ticker.advance(Duration.ofMillis(999));
        assertTrue(broken.ejected(ticker.read()));
        ticker.advance(Duration.ofMillis(1));
        assertFalse(broken.ejected(ticker.read()), "the first ejection lasts 1 s");
        assertTrue(pickedAmong(s, broken), "back among the servers picked");
        fail(broken, 3, Status.Code.UNKNOWN);
        ticker.advance(Duration.ofMillis(1999));
        assertTrue(broken.ejected(ticker.read()), "the second lasts 2 s");
        ticker.advance(Duration.ofMillis(1));
        assertFalse(broken.ejected(ticker.read()));
    }

    @Test
    void theEjectionsStopGrowingAtTenTimesTheFirstAndStartAgainAfterAQuietSpell() {
        RemoteServer broken = servers(2).get(0);
        for (int ejection = 1; ejection <= 12; ejection++) {
            fail(broken, 3, Status.Code.DATA_LOSS);
            long lasts = Math.min(ejection, OutlierEjection.MAX_EJECTION_FACTOR) * 1_000L;
            ticker.advance(Duration.ofMillis(lasts - 1));
            assertTrue(broken.ejected(ticker.read()), "ejection " + ejection);
            ticker.advance(Duration.ofMillis(1));
            assertFalse(broken.ejected(ticker.read()), "ejection " + ejection + " lasts " + lasts + " ms");
        }
        ticker.advance(Duration.ofSeconds(10).plusMillis(1)); // longer than the longest ejection without one
        fail(broken, 3, Status.Code.INTERNAL);
        ticker.advance(Duration.ofMillis(999));
        assertTrue(broken.ejected(ticker.read()));
        ticker.advance(Duration.ofMillis(1));
        assertFalse(broken.ejected(ticker.read()), "the shortest again");
    }

    @Test
    void anAnswerEndsAStreakAndBadRequestsOverloadDeadlinesAndLostConnectionsAreNotTheServersFailures() {
        RemoteServer s = servers(3).get(0);
        fail(s, 2, Status.Code.INTERNAL);
        fail(s, 1, Status.Code.OK);
        fail(s, 2, Status.Code.INTERNAL);
        fail(s, 1, Status.Code.INVALID_ARGUMENT); // the server read the request and answered: it works
        fail(s, 2, Status.Code.INTERNAL);
        assertFalse(s.ejected(ticker.read()), "no three failures in a row");
        for (Status.Code code : List.of(Status.Code.NOT_FOUND,
                Status.Code.RESOURCE_EXHAUSTED, Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED,
                Status.Code.UNAVAILABLE)) {
            fail(s, 10, code);
            assertFalse(s.ejected(ticker.read()), code + " is not the server failing");
        }
        fail(s, 1, Status.Code.UNIMPLEMENTED); // with the two INTERNAL before the other codes: a streak of three
        assertTrue(s.ejected(ticker.read()), "codes that are not failures neither count nor end a streak");
    }

    @Test
    void atMostHalfOfTheServersAreEjectedAtOnceAndALoneServerNever() {
        List<RemoteServer> three = servers(3);
        fail(three.get(0), 3, Status.Code.INTERNAL);
        fail(three.get(1), 3, Status.Code.INTERNAL);
        assertTrue(three.get(0).ejected(ticker.read()));
        assertFalse(three.get(1).ejected(ticker.read()), "one of three may be ejected");
        ticker.advance(Duration.ofSeconds(1));
        fail(three.get(1), 3, Status.Code.INTERNAL); // its streak went on: ejected once the first is back
        assertTrue(three.get(1).ejected(ticker.read()));

        RemoteServer alone = servers(1).get(0);
        fail(alone, 30, Status.Code.INTERNAL);
        assertFalse(alone.ejected(ticker.read()), "nowhere else to send its calls");
    }

    @Test
    void whenEveryServerLeftIsEjectedOrTriedThePickStillFindsOne() {
        List<RemoteServer> s = servers(2);
        fail(s.get(0), 3, Status.Code.INTERNAL);
        // A retry of a call the healthy server refused goes to it again rather than to the ejected one.
        for (int i = 0; i < 50; i++) {
            assertEquals(s.get(1), LeastLoadedBalancer.Picker.choose(s, Set.of(s.get(1)), ticker.read()));
        }
        assertEquals(s.get(0), LeastLoadedBalancer.Picker.choose(List.of(s.get(0)), Set.of(), ticker.read()),
                "the only server connected is picked though ejected");
    }

    @Test
    void outlierEjectionSettingsAreChecked() {
        RemoteDeployment.Builder b = RemoteDeployment.builder("d");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.outlierEjection(-1, Duration.ofSeconds(1)))
                .getMessage().contains("consecutiveFailures must not be negative"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.outlierEjection(5, Duration.ZERO))
                .getMessage().contains("ejection must be positive"));
        assertThrows(NullPointerException.class, () -> b.outlierEjection(5, null));
        b.outlierEjection(0, Duration.ZERO); // off: the duration means nothing
    }

    @Test
    void aServerWhoseModelIsBrokenFailsOnlyItsStreakAndThenGetsNoCallsWhileEjected() throws Exception {
        try (RemoteCluster cluster = RemoteCluster.start(3);
                RemoteDeployment remote = connected(RemoteDeployment.builder("remote-doubler").model(RemoteCluster.MODEL)
                        .addresses(cluster.addresses()).timeout(T).outlierEjection(3, Duration.ofMinutes(1))
                        .ticker(ticker), cluster.addresses().size())) {
            RemoteCluster.Node broken = cluster.node(0);
            broken.gate.fail(true);
            int failed = 0;
            for (int i = 1; i <= 60; i++) {
                CompletableFuture<Map<String, Tensor>> f = remote.submit(input(i));
                try {
                    assertEquals(i, marker(f.get(10, TimeUnit.SECONDS)));
                } catch (java.util.concurrent.ExecutionException e) {
                    assertInstanceOf(ModelException.class, failureOf(f));
                    assertTrue(e.getCause().getMessage().contains(broken.address()), e.getCause().getMessage());
                    failed++;
                }
            }
            // One at a time, so its calls end before the next is sent: its streak of 3 ejected it, and the rest
            // went to the other two (the failed calls are not retried: the model failed on a server).
            assertEquals(3, failed);
            assertEquals(0, broken.seen.size(), "its model failed each batch before reading it");
            assertEquals(57, cluster.node(1).seen.size() + cluster.node(2).seen.size());
            SluiceStatus.ReplicaStatus shown = remote.status().replicas().stream()
                    .filter(r -> r.placement().equals(broken.address())).findFirst().orElseThrow();
            assertEquals(ReplicaState.PENDING, shown.state());
            assertTrue(shown.pendingReason().contains("ejected for") && shown.pendingReason().contains("INTERNAL"),
                    shown.pendingReason());

            broken.gate.fail(false); // mended; its ejection ends after a minute on the deployment's clock
            ticker.advance(Duration.ofMinutes(1));
            eventually("the mended server gets calls again", () -> {
                remote.submit(input(100)).orTimeout(10, TimeUnit.SECONDS).join();
                return !broken.seen.isEmpty();
            });
        }
    }

    private static RemoteDeployment connected(RemoteDeployment.Builder b, int servers) throws Exception {
        RemoteDeployment r = b.build();
        try {
            r.awaitReady(T);
            eventually("every server connected", () -> r.status().replicas().size() == servers
                    && r.status().replicas().stream().allMatch(s -> s.state() == ReplicaState.RUNNING));
            return r;
        } catch (Exception | Error e) {
            r.close();
            throw e;
        }
    }

    /** Whether {@code server} is picked in 200 picks among {@code servers}, none of them loaded. */
    private boolean pickedAmong(List<RemoteServer> servers, RemoteServer server) {
        for (int i = 0; i < 200; i++) {
            if (LeastLoadedBalancer.Picker.choose(servers, Set.of(), ticker.read()) == server) {
                return true;
            }
        }
        return false;
    }
}
