package dev.sluice.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A name service for tests, as grpc-java name resolution: target {@code testdns:///<name>} resolves to the
 * addresses a test {@linkplain #set set} for the name, read afresh each time the channel asks (as DNS answers
 * change behind a headless Service), counting how often it was asked. Registered once in the default registry.
 */
final class TestNames extends NameResolverProvider {
    static final String SCHEME = "testdns";
    private static final Map<String, List<String>> NAMES = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> RESOLUTIONS = new ConcurrentHashMap<>();
    private static boolean registered;

    static synchronized void register() {
        if (!registered) {
            NameResolverRegistry.getDefaultRegistry().register(new TestNames());
            registered = true;
        }
    }

    /** Makes {@code name} resolve to {@code addresses} ({@code host:port}) from the next resolution on. */
    static void set(String name, List<String> addresses) {
        NAMES.put(name, List.copyOf(addresses));
    }

    /** How many times {@code name} was resolved. */
    static int resolutions(String name) {
        AtomicInteger n = RESOLUTIONS.get(name);
        return n == null ? 0 : n.get();
    }

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 5;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) {
            return null;
        }
        String name = target.getPath().substring(1);
        return new NameResolver() {
            private Listener2 listener;

            @Override
            public String getServiceAuthority() {
                return name;
            }

            @Override
            public void start(Listener2 listener) {
                this.listener = listener;
                refresh();
            }

            @Override
            public void refresh() {
                RESOLUTIONS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                List<EquivalentAddressGroup> groups = NAMES.getOrDefault(name, List.of()).stream()
                        .map(a -> new EquivalentAddressGroup(StaticAddresses.socketAddress(a))).toList();
                listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
            }

            @Override
            public void shutdown() {}
        };
    }
}
