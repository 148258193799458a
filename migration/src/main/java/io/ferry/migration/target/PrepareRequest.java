package io.ferry.migration.target;

import io.ferry.migration.protocol.Mode;

/**
 * A PrepareIncoming call.
 *
 * @param spec the bytes of the container's {@code ferry.v1.ContainerSpec}
 */
public record PrepareRequest(
    String id, String container, byte[] spec, String imageDigest, String address, String mac, Mode mode, String source,
    String token) {}
