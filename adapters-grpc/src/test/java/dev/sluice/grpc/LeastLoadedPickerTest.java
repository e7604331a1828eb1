package dev.sluice.grpc;

import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The power-of-two-choices pick of {@link LeastLoadedBalancer}, on servers without connections. */
class LeastLoadedPickerTest {

    @Test
    void ofTwoServersTheOneWithFewerCallsReportedOpenIsChosen() {
        RemoteServer busy = new RemoteServer("127.0.0.2:1", null);
        RemoteServer quiet = new RemoteServer("127.0.0.3:1", null);
        busy.reported(new LoadReport(5, 0)); // another client's calls: this one has none in flight to it
        for (int i = 0; i < 100; i++) {
            assertSame(quiet, LeastLoadedBalancer.Picker.choose(List.of(busy, quiet), Set.of(), 0));
        }
    }

    @Test
    void aReportedQueueCountsAsLoad() {
        RemoteServer queued = new RemoteServer("127.0.0.2:1", null);
        RemoteServer idle = new RemoteServer("127.0.0.3:1", null);
        queued.reported(new LoadReport(0, 3)); // requests from other sources wait in its deployment's queue
        idle.reported(new LoadReport(0, 0));
        for (int i = 0; i < 100; i++) {
            assertSame(idle, LeastLoadedBalancer.Picker.choose(List.of(queued, idle), Set.of(), 0));
        }
    }

    @Test
    void aServerTheRequestTriedIsLeftOutWhileAnotherIsConnected() {
        RemoteServer tried = new RemoteServer("127.0.0.2:1", null);
        RemoteServer busy = new RemoteServer("127.0.0.3:1", null);
        busy.reported(new LoadReport(9, 9));
        for (int i = 0; i < 100; i++) {
            assertSame(busy, LeastLoadedBalancer.Picker.choose(List.of(tried, busy), Set.of(tried), 0));
        }
        // When every connected server was tried, any of them may take the retry.
        assertSame(tried, LeastLoadedBalancer.Picker.choose(List.of(tried), Set.of(tried), 0));
    }
}
