package io.ferry.cli;

import io.ferry.common.security.ClusterTls;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.RevocationList;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * The CLI's channels: mutual TLS only, with a client certificate. Where the files come from, first
 * found wins: {@code --cert}/{@code --key}/{@code --ca}; {@value #CERT_ENV}, {@value #KEY_ENV},
 * {@value #CA_ENV}; {@code ~/.config/ferry/client.crt}, {@code client.key}, {@code ca.crt}
 * ({@code $XDG_CONFIG_HOME/ferry} when set). A missing or unusable file fails the command with
 * the file's name; there is no plaintext fallback.
 */
public final class TlsChannels implements Channels {

  public static final String CERT_ENV = "FERRY_CERT";
  public static final String KEY_ENV = "FERRY_KEY";
  public static final String CA_ENV = "FERRY_CA";

  /** A connect timeout shorter than any call deadline: a dead machine fails fast with UNAVAILABLE. */
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final Path certificate;
  private final Path key;
  private final Path ca;
  private final int maxAnswerBytes;
  private ClusterTls tls;

  private TlsChannels(Path certificate, Path key, Path ca, int maxAnswerBytes) {
    this.certificate = certificate;
    this.key = key;
    this.ca = ca;
    this.maxAnswerBytes = maxAnswerBytes;
  }

  /** The files named by flags (each may be null), else the environment, else the defaults. */
  public static TlsChannels resolve(Path certFlag, Path keyFlag, Path caFlag, Map<String, String> env, int maxAnswerBytes) {
    Path dir = env.containsKey("XDG_CONFIG_HOME")
        ? Path.of(env.get("XDG_CONFIG_HOME"), "ferry")
        : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".config", "ferry");
    return new TlsChannels(
        pick(certFlag, env.get(CERT_ENV), dir.resolve("client.crt")),
        pick(keyFlag, env.get(KEY_ENV), dir.resolve("client.key")),
        pick(caFlag, env.get(CA_ENV), dir.resolve("ca.crt")),
        maxAnswerBytes);
  }

  private static Path pick(Path flag, String env, Path fallback) {
    if (flag != null) {
      return flag;
    }
    return env != null && !env.isBlank() ? Path.of(env) : fallback;
  }

  /** The client certificate file in use. */
  public Path certificate() {
    return certificate;
  }

  /** The client key file in use. */
  public Path key() {
    return key;
  }

  /** The CA certificate file in use. */
  public Path ca() {
    return ca;
  }

  @Override
  public synchronized ManagedChannel open(String address) {
    return NettyChannelBuilder.forTarget(address, credentials().channelCredentials())
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
        .maxInboundMessageSize(maxAnswerBytes)
        .build();
  }

  private ClusterTls credentials() {
    if (tls == null) {
      for (Path file : new Path[] {certificate, key, ca}) {
        if (!Files.exists(file)) {
          throw new UncheckedIOException(new IOException(
              "no " + file + ": Ferry needs a client certificate (--cert/--key/--ca, or " + CERT_ENV + ", " + KEY_ENV + ", " + CA_ENV
                  + "; `ferry cluster init` makes the first admin's)"));
        }
      }
      try {
        tls = ClusterTls.load(ca, certificate, key, RevocationList::empty, Clock.systemUTC());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (CredentialsException e) {
        throw new UncheckedIOException(new IOException("cannot use " + certificate + ": " + e.getMessage(), e));
      }
    }
    return tls;
  }
}
