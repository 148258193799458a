package io.ferry.common.security;

import io.ferry.common.Names;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A one-time secret that lets one named host join the cluster, as given to the admin by {@code
 * ferry host add NAME} and to the new agent on its command line.
 *
 * <p>Text form ({@link #encode}, {@link #parse}): {@code ferry-join-v1.<host>.<expiry epoch
 * seconds>.<CA fingerprint hex>.<secret base64url>}. The host name and expiry are there for people
 * and for the agent (the coordinator trusts only its own stored record); the CA fingerprint lets
 * the joining agent pin the cluster CA before it trusts any coordinator; the secret is 256 random
 * bits and only its SHA-256 ({@link #secretHash}) is ever stored.
 *
 * @param hostName the host allowed to join with it
 * @param expiresAt when it stops working
 * @param caFingerprint SHA-256 of the cluster CA certificate, lower-case hex
 * @param secret 32 random bytes, base64url without padding
 */
public record JoinToken(String hostName, Instant expiresAt, String caFingerprint, String secret) {

  static final String PREFIX = "ferry-join-v1";
  static final int SECRET_BYTES = 32;

  private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{64}");

  /** @throws IllegalArgumentException when a field is malformed */
  public JoinToken {
    Names.require("host", hostName);
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (!FINGERPRINT.matcher(caFingerprint).matches()) {
      throw new IllegalArgumentException("CA fingerprint must be 64 lower-case hex digits");
    }
    byte[] bytes = Base64.getUrlDecoder().decode(secret);
    if (bytes.length != SECRET_BYTES) {
      throw new IllegalArgumentException("secret must be " + SECRET_BYTES + " bytes, is " + bytes.length);
    }
  }

  /** The text to hand to the joining host. */
  public String encode() {
    return String.join(".", PREFIX, hostName, Long.toString(expiresAt.getEpochSecond()), caFingerprint, secret);
  }

  /**
   * Parses the text form.
   *
   * @throws IllegalArgumentException saying what is malformed
   */
  public static JoinToken parse(String text) {
    String[] fields = text.trim().split("\\.", -1);
    if (fields.length != 5 || !fields[0].equals(PREFIX)) {
      throw new IllegalArgumentException("not a Ferry join token (expected " + PREFIX + ".<host>.<expiry>.<fingerprint>.<secret>)");
    }
    long expiry;
    try {
      expiry = Long.parseLong(fields[2]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("join token expiry is not a number", e);
    }
    return new JoinToken(fields[1], Instant.ofEpochSecond(expiry), fields[3], fields[4]);
  }

  /** SHA-256 of the secret's bytes, lower-case hex: what the store keeps instead of the secret. */
  public String secretHash() {
    return hash(secret);
  }

  /** SHA-256 of {@code secret}'s decoded bytes, lower-case hex. */
  static String hash(String secret) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(Base64.getUrlDecoder().decode(secret.getBytes(StandardCharsets.US_ASCII)));
      return HexFormat.of().formatHex(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /** Never prints the secret. */
  @Override
  public String toString() {
    return "JoinToken[host=" + hostName + ", expiresAt=" + expiresAt + "]";
  }
}
