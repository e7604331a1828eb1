package dev.sluice.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A fixed list of server addresses as a grpc-java name resolver, for a {@link RemoteDeployment} given
 * addresses rather than a name: target {@code sluice-static:///<deployment>}, the addresses in the channel's
 * name resolver argument {@link #ADDRESSES}. Each {@code host:port} is resolved again whenever the channel asks
 * (a host name may move), one server per entry. Registered once with grpc-java's default registry; a channel
 * without the argument gets an error, not someone else's addresses. Thread-safe.
 */
final class StaticAddresses extends NameResolverProvider {
    static final String SCHEME = "sluice-static";
    static final NameResolver.Args.Key<List<String>> ADDRESSES = NameResolver.Args.Key.create("sluice-addresses");

    private static final Object LOCK = new Object();
    private static boolean registered;

    /** Registers the provider with grpc-java's default registry, once. */
    static void register() {
        synchronized (LOCK) {
            if (!registered) {
                NameResolverRegistry.getDefaultRegistry().register(new StaticAddresses());
                registered = true;
            }
        }
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
        List<String> addresses = args.getArg(ADDRESSES);
        String authority = target.getPath() == null ? SCHEME : target.getPath().replaceFirst("^/", "");
        return new NameResolver() {
            private Listener2 listener;

            @Override
            public String getServiceAuthority() {
                return authority;
            }

            @Override
            public void start(Listener2 listener) {
                this.listener = listener;
                resolve();
            }

            @Override
            public void refresh() {
                resolve();
            }

            private void resolve() {
                if (addresses == null || addresses.isEmpty()) {
                    listener.onError(Status.UNAVAILABLE.withDescription("target " + target
                            + " names no addresses (a channel of RemoteDeployment gives them)"));
                    return;
                }
                List<EquivalentAddressGroup> groups = new ArrayList<>(addresses.size());
                for (String a : addresses) {
                    groups.add(new EquivalentAddressGroup(socketAddress(a)));
                }
                listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
            }

            @Override
            public void shutdown() {}
        };
    }

    /** {@code host:port} ({@code [v6]:port} for an IPv6 literal), resolved now (unresolved if it does not resolve). */
    static InetSocketAddress socketAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("address must be host:port, was '" + hostPort + "'");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("address '" + hostPort + "' has no port number after its last ':'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("address '" + hostPort + "' has port " + port
                    + "; it must be from 1 to 65535");
        }
        return new InetSocketAddress(host, port);
    }
}
