package io.ferry.migration.replica;

/**
 * A PrepareReplica call, as the standby side takes it.
 *
 * @param spec the bytes of the container's {@code ferry.v1.ContainerSpec}
 */
public record ReplicaPrepare(String container, byte[] spec, String imageDigest, String sourceHost, String sourceAddress, String token) {}
