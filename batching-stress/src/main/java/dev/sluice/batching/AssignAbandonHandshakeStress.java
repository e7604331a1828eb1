package dev.sluice.batching;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The claim of {@link AssignAbandonHandshake}: one thread gives a busy worker a batch while another
 * abandons the worker (moves it to RETIRED through {@link Workers#retireNow}, as the batcher does). At least
 * one of them must see the other. r1: the assigner found the worker live and lets the batch run (1), or
 * found it retired and abandons the batch itself (0); r2: the abandoner found the batch (1) or not (0).
 */
@JCStressTest
@Outcome(id = "1, 0", expect = FORBIDDEN,
        desc = "The batch runs on an abandoned worker and the abandoner never saw it: its requests are left unowned")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The assigner saw the worker retired and abandons the batch itself")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "The abandoner saw the batch and abandons it")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Both saw each other: the batch is abandoned once (idempotent)")
@State
public class AssignAbandonHandshakeStress {
    private final Workers<Integer, Integer> workers = new Workers<>();
    private final Lane<Integer, Integer> worker = new Lane<>(null, "w", in -> in, null);
    private final Batch<Integer, Integer> batch = new Batch<>(List.of(), worker);
    /** Touched by the assigner only. */
    private final Set<Batch<Integer, Integer>> running = new HashSet<>();

    public AssignAbandonHandshakeStress() {
        workers.add(worker);
        workers.take(); // busy, as a worker is when the former hands it a batch
    }

    @Actor
    public void assigner(II_Result r) {
        r.r1 = AssignAbandonHandshake.assign(worker, batch, running) ? 1 : 0;
    }

    @Actor
    public void abandoner(II_Result r) {
        workers.retireNow(worker);
        r.r2 = AssignAbandonHandshake.batchOfAbandoned(worker) == batch ? 1 : 0;
    }
}
