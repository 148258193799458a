package io.ferry.common.security;

import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable set of {@link Revocation}s by serial number. Changes make a new list; share the
 * current one through {@link Revocations}.
 *
 * <p>Text form ({@link #toText}, {@link #parse}): a header line {@value #HEADER}, then one line
 * per revocation: serial in lower-case hex, reason, ISO-8601 instant, separated by one space.
 */
public final class RevocationList {

  static final String HEADER = "# ferry revocation list v1";

  private static final RevocationList EMPTY = new RevocationList(Map.of());

  private final Map<BigInteger, Revocation> bySerial;

  private RevocationList(Map<BigInteger, Revocation> bySerial) {
    this.bySerial = bySerial;
  }

  public static RevocationList empty() {
    return EMPTY;
  }

  /** True when the certificate with {@code serial} is revoked. */
  public boolean isRevoked(BigInteger serial) {
    return bySerial.containsKey(serial);
  }

  public Optional<Revocation> find(BigInteger serial) {
    return Optional.ofNullable(bySerial.get(serial));
  }

  /** The revocations, oldest first. */
  public Collection<Revocation> revocations() {
    return bySerial.values();
  }

  public int size() {
    return bySerial.size();
  }

  /** This list plus {@code revocation}; an already revoked serial keeps its first record. */
  public RevocationList with(Revocation revocation) {
    if (bySerial.containsKey(revocation.serial())) {
      return this;
    }
    Map<BigInteger, Revocation> next = new LinkedHashMap<>(bySerial);
    next.put(revocation.serial(), revocation);
    return new RevocationList(Collections.unmodifiableMap(next));
  }

  /** The text form (see the class comment). */
  public String toText() {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (Revocation r : bySerial.values()) {
      text.append(r.serial().toString(16)).append(' ').append(r.reason()).append(' ').append(r.revokedAt()).append('\n');
    }
    return text.toString();
  }

  /**
   * Parses the text form.
   *
   * @throws CredentialsException naming the first bad line (a missing header, a malformed
   *     serial, an unknown reason, a malformed instant)
   */
  public static RevocationList parse(String text) {
    String[] lines = text.split("\n", -1);
    if (lines.length == 0 || !lines[0].equals(HEADER)) {
      throw new CredentialsException("not a Ferry revocation list: first line must be '" + HEADER + "'");
    }
    RevocationList list = EMPTY;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty()) {
        continue;
      }
      String[] fields = line.split(" ");
      try {
        if (fields.length != 3) {
          throw new IllegalArgumentException("expected 3 fields, found " + fields.length);
        }
        list = list.with(new Revocation(new BigInteger(fields[0], 16), RevocationReason.valueOf(fields[1]), Instant.parse(fields[2])));
      } catch (IllegalArgumentException | DateTimeParseException e) {
        throw new CredentialsException("revocation list line " + (i + 1) + " is malformed: " + e.getMessage(), e);
      }
    }
    return list;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RevocationList list && bySerial.equals(list.bySerial);
  }

  @Override
  public int hashCode() {
    return bySerial.hashCode();
  }

  @Override
  public String toString() {
    return "RevocationList[" + bySerial.size() + " revoked]";
  }
}
