package io.ferry.cli;

import io.grpc.ManagedChannel;

/** Opens channels to Ferry endpoints; injected so tests can use in-process servers. */
@FunctionalInterface
public interface Channels {

  /** A channel to {@code address} ({@code host:port}); the caller shuts it down. */
  ManagedChannel open(String address);
}
