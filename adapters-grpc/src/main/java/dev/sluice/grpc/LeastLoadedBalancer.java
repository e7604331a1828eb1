package dev.sluice.grpc;

import dev.sluice.batching.Ticker;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.protobuf.services.HealthCheckingLoadBalancerUtil;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * A grpc-java load-balancing policy ({@value #POLICY}) that sends each call to the less loaded of two servers
 * drawn at random among those connected (power of two choices), by {@link RemoteServer#load}: this client's
 * calls in flight to each and the load each last reported. Everything else is grpc-java's: the name resolver
 * gives the addresses (and gives them again when asked), one subchannel per address connects and reconnects.
 *
 * <p>A call of a {@link RemoteDeployment} carries its {@link RemoteCall}; the picker leaves out the servers that
 * call has already been sent to while another server is connected, so a retry goes elsewhere (grpc-java's own
 * transparent retries included).
 *
 * <p>Health: {@link Provider} wraps the policy in grpc-java's client-side health checking, so a server whose
 * health service says the model is not SERVING (not ready, or shutting down) gets no calls until it is again.
 *
 * <p>Servers: a new address gets a subchannel and traffic as soon as it connects; an address the resolver no
 * longer gives is shut down (its calls in flight end first). A subchannel that goes idle (the server closed the
 * connection, for example at its maximum connection age) or fails makes the policy ask the resolver to resolve
 * again, which is how a client finds servers added behind a name; an idle one is reconnected at once.
 *
 * <p>Threading: grpc-java calls the balancer in the channel's synchronization context; pickers are immutable
 * and run on any thread.
 */
final class LeastLoadedBalancer extends LoadBalancer {
    static final String POLICY = "sluice_least_loaded";
    /** Where a {@link RemoteDeployment} reads its servers: given to the channel as a name resolver argument. */
    static final NameResolver.Args.Key<ServerList> SERVERS = NameResolver.Args.Key.create("sluice-servers");

    private final Helper helper;
    private final ServerList published;
    private final Map<List<SocketAddress>, RemoteServer> servers = new LinkedHashMap<>();
    private Status resolutionError;

    LeastLoadedBalancer(Helper helper) {
        this.helper = helper;
        ServerList list = helper.getNameResolverArgs() == null ? null : helper.getNameResolverArgs().getArg(SERVERS);
        this.published = list != null ? list : new ServerList();
    }

    /** Registers the policy with grpc-java's default registry, once. */
    static void register() {
        Provider.register();
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        List<EquivalentAddressGroup> groups = resolved.getAddresses();
        if (groups.isEmpty()) {
            Status error = Status.UNAVAILABLE.withDescription("the name resolver gave no addresses for "
                    + helper.getChannelTarget());
            handleNameResolutionError(error);
            return error;
        }
        resolutionError = null;
        Set<List<SocketAddress>> seen = new HashSet<>();
        for (EquivalentAddressGroup g : groups) {
            List<SocketAddress> key = g.getAddresses();
            seen.add(key);
            if (!servers.containsKey(key)) {
                Subchannel sub = helper.createSubchannel(CreateSubchannelArgs.newBuilder()
                        .setAddresses(new EquivalentAddressGroup(key, g.getAttributes())).build());
                RemoteServer server = new RemoteServer(describe(key), sub, published);
                servers.put(key, server);
                sub.start(state -> stateChanged(server, state));
                sub.requestConnection();
            }
        }
        servers.entrySet().removeIf(e -> {
            if (seen.contains(e.getKey())) {
                return false;
            }
            e.getValue().subchannel.shutdown();
            return true;
        });
        update();
        return Status.OK;
    }

    @Override
    public void handleNameResolutionError(Status error) {
        resolutionError = error;
        if (servers.values().stream().noneMatch(s -> s.state() == ConnectivityState.READY)) {
            helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FailingPicker(Status.UNAVAILABLE
                    .withDescription("no server of " + helper.getChannelTarget() + " is reachable: name resolution "
                            + "failed: " + error.getCode() + " " + error.getDescription())));
        }
    }

    @Override
    public void requestConnection() {
        for (RemoteServer s : servers.values()) {
            if (s.state() == ConnectivityState.IDLE) {
                s.subchannel.requestConnection();
            }
        }
    }

    @Override
    public void shutdown() {
        for (RemoteServer s : servers.values()) {
            s.subchannel.shutdown();
        }
        servers.clear();
        published.set(List.of());
    }

    private void stateChanged(RemoteServer server, ConnectivityStateInfo info) {
        if (servers.get(server.subchannel.getAddresses().getAddresses()) != server) {
            return; // removed meanwhile
        }
        ConnectivityState s = info.getState();
        if (s == ConnectivityState.SHUTDOWN) {
            return;
        }
        server.state(s, info.getStatus());
        if (s == ConnectivityState.IDLE) {
            helper.refreshNameResolution(); // a server closing a connection (max age, shutdown): look again
            server.subchannel.requestConnection();
        } else if (s == ConnectivityState.TRANSIENT_FAILURE) {
            helper.refreshNameResolution();
        }
        update();
    }

    /** Publishes the servers and the picker for the channel's state. */
    private void update() {
        published.set(List.copyOf(servers.values()));
        List<RemoteServer> ready = servers.values().stream().filter(s -> s.state() == ConnectivityState.READY)
                .toList();
        if (!ready.isEmpty()) {
            helper.updateBalancingState(ConnectivityState.READY, new Picker(ready, published.ejection().ticker));
        } else if (servers.values().stream().anyMatch(s -> s.state() != ConnectivityState.TRANSIENT_FAILURE)) {
            helper.updateBalancingState(ConnectivityState.CONNECTING, new WaitingPicker());
        } else {
            String errors = servers.values().stream()
                    .map(s -> s.address + ": " + (s.lastError() == null ? "unreachable" : s.lastError().getCode()
                            + " " + s.lastError().getDescription()))
                    .collect(Collectors.joining("; "));
            Status error = Status.UNAVAILABLE.withDescription("no server of " + helper.getChannelTarget()
                    + " is reachable (" + errors + ")" + (resolutionError == null ? ""
                            : "; name resolution failed: " + resolutionError.getDescription()));
            helper.updateBalancingState(ConnectivityState.TRANSIENT_FAILURE, new FailingPicker(error));
        }
    }

    private static String describe(List<SocketAddress> addresses) {
        return addresses.stream().map(a -> a instanceof InetSocketAddress i
                ? (i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString()) + ":" + i.getPort()
                : a.toString()).collect(Collectors.joining(","));
    }

    /**
     * Power of two choices among the connected servers, leaving out those ejected ({@link OutlierEjection}) and those
     * the call was sent to before.
     */
    static final class Picker extends SubchannelPicker {
        private final List<RemoteServer> ready;
        private final Ticker ticker;

        Picker(List<RemoteServer> ready, Ticker ticker) {
            this.ready = ready;
            this.ticker = ticker;
        }

        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            RemoteCall.Attempt call = args.getCallOptions().getOption(RemoteCall.KEY);
            RemoteServer s = choose(ready, call == null ? Set.of() : call.tried(), ticker.read());
            return PickResult.withSubchannel(s.subchannel, s.tracers);
        }

        /**
         * The less loaded of two drawn from {@code servers}, less those ejected at {@code now} (unless that leaves
         * none), less {@code tried} (unless that leaves none).
         */
        static RemoteServer choose(List<RemoteServer> servers, Set<RemoteServer> tried, long now) {
            List<RemoteServer> from = servers;
            for (RemoteServer s : servers) {
                if (s.ejected(now)) {
                    List<RemoteServer> kept = new ArrayList<>(servers.size());
                    for (RemoteServer t : servers) {
                        if (!t.ejected(now)) {
                            kept.add(t);
                        }
                    }
                    if (!kept.isEmpty()) {
                        from = kept;
                    }
                    break;
                }
            }
            if (!tried.isEmpty()) {
                List<RemoteServer> untried = new ArrayList<>(from.size());
                for (RemoteServer s : from) {
                    if (!tried.contains(s)) {
                        untried.add(s);
                    }
                }
                if (!untried.isEmpty()) {
                    from = untried;
                }
            }
            int n = from.size();
            if (n == 1) {
                return from.get(0);
            }
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int i = random.nextInt(n);
            int j = random.nextInt(n - 1);
            if (j >= i) {
                j++;
            }
            long nanoTime = System.nanoTime(); // the load reports' clock
            RemoteServer a = from.get(i);
            RemoteServer b = from.get(j);
            return b.load(nanoTime) < a.load(nanoTime) ? b : a;
        }
    }

    /** No server connected yet: calls wait (within their deadline) for the next picker. */
    private static final class WaitingPicker extends SubchannelPicker {
        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            return PickResult.withNoResult();
        }
    }

    private static final class FailingPicker extends SubchannelPicker {
        private final Status error;

        FailingPicker(Status error) {
            this.error = error;
        }

        @Override
        public PickResult pickSubchannel(PickSubchannelArgs args) {
            return PickResult.withError(error);
        }
    }

    /**
     * The servers a balancer knows now, for the {@link RemoteDeployment} whose channel it serves, and how they are
     * ejected. Thread-safe; its lock serializes the servers' ejections.
     */
    static final class ServerList {
        private final OutlierEjection ejection;
        private volatile List<RemoteServer> servers = List.of();

        /** Servers that are never ejected. */
        ServerList() {
            this(OutlierEjection.OFF);
        }

        ServerList(OutlierEjection ejection) {
            this.ejection = ejection;
        }

        OutlierEjection ejection() {
            return ejection;
        }

        List<RemoteServer> get() {
            return servers;
        }

        void set(List<RemoteServer> list) {
            servers = list;
        }
    }

    /** Makes the policy; stateless. */
    static final class Provider extends LoadBalancerProvider {
        private static final Object LOCK = new Object();
        private static boolean registered;

        static void register() {
            synchronized (LOCK) {
                if (!registered) {
                    LoadBalancerRegistry.getDefaultRegistry().register(new Provider());
                    registered = true;
                }
            }
        }

        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public int getPriority() {
            return 5;
        }

        @Override
        public String getPolicyName() {
            return POLICY;
        }

        /**
         * The policy under grpc-java's client-side health checking: when the channel's service config has a
         * {@code healthCheckConfig}, each subchannel watches that service of {@code grpc.health.v1.Health} on its
         * server and counts as failed (no calls) while it is not SERVING; without one, it changes nothing.
         */
        @Override
        public LoadBalancer newLoadBalancer(Helper helper) {
            return HealthCheckingLoadBalancerUtil.newHealthCheckingLoadBalancer(new LoadBalancer.Factory() {
                @Override
                public LoadBalancer newLoadBalancer(Helper h) {
                    return new LeastLoadedBalancer(h);
                }
            }, helper);
        }
    }
}
