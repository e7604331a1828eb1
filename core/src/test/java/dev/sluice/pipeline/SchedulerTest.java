package dev.sluice.pipeline;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Modifier;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SchedulerTest {

    @Test
    void theSystemSchedulersClassIsNotPublicSoSystemIsTheOnlyWayToIt() {
        Class<?> type = Scheduler.system().getClass();
        assertFalse(Modifier.isPublic(type.getModifiers()), type + " is public");
        assertFalse(type.isMemberClass() && type.getEnclosingClass().isInterface(),
                "a class nested in a public interface is implicitly public");
    }

    @Test
    void systemReturnsOneSharedScheduler() {
        assertSame(Scheduler.system(), Scheduler.system());
    }

    @Test
    void theSystemSchedulerRunsATaskAfterItsDelay() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        Scheduler.system().schedule(ran::countDown, TimeUnit.MILLISECONDS.toNanos(1));
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the task never ran");
    }
}
