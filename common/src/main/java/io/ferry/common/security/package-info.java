/**
 * The cluster's security foundation: who may talk to Ferry, and what they may do.
 *
 * <ul>
 *   <li>{@link io.ferry.common.security.CertificateAuthority}: the cluster CA on disk; issues host
 *       and client certificates carrying an {@link io.ferry.common.security.Identity} (name and
 *       {@link io.ferry.common.security.Role}, see {@link io.ferry.common.security.CertificateIdentity}).
 *   <li>{@link io.ferry.common.security.Revocations}: the revocation list in force, changeable at
 *       run time and persisted atomically.
 *   <li>{@link io.ferry.common.security.ClusterTrustManager}: every handshake checks the chain to
 *       the cluster CA, revocation and expiry.
 *   <li>{@link io.ferry.common.security.MutualTls}: gRPC server and channel credentials, mutual
 *       TLS only.
 *   <li>{@link io.ferry.common.security.AccessInterceptor} with an
 *       {@link io.ferry.common.security.AccessPolicy}: every call is authenticated from its peer
 *       certificate and checked against the caller's role, default deny.
 *   <li>{@link io.ferry.common.security.JoinTokens}: one-time, expiring tokens with which a new host
 *       gets its certificate.
 * </ul>
 *
 * <p>A server, given its host key, the CA certificate and the revocations:
 *
 * <pre>{@code
 * ClusterTrustManager trust = new ClusterTrustManager(caCertificate, revocations, clock);
 * Server server = Grpc.newServerBuilderForPort(7700, MutualTls.serverCredentials(hostKey, trust))
 *     .addService(ServerInterceptors.intercept(service, new AccessInterceptor(policy, revocations)))
 *     .build().start();
 * // in a service method: AccessInterceptor.currentIdentity()
 * }</pre>
 *
 * A client: {@code Grpc.newChannelBuilder("coordinator-1:7700", MutualTls.channelCredentials(
 * CertifiedKey.load(crt, key), trust)).build()}.
 */
package io.ferry.common.security;
