package io.ferry.common.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link JoinTokenStore} in one file (mode 0600), for a coordinator that keeps its tokens on
 * its own disk. Every change rewrites the file atomically (temporary file and rename) before it
 * takes effect in memory: a crash never loses an answered redemption, so a token redeemed once
 * stays redeemed after a restart. A failed write leaves file and memory as they were.
 *
 * <p>One process per file: the file is read when the store opens and then only written. Methods
 * are synchronized, so {@link #markRedeemed} is atomic within the process.
 *
 * <p>Format: a header line {@value #HEADER}, then one token per line: secret hash, host name,
 * issued-at, expires-at (ISO-8601), redeemed-at or {@code -}, separated by one space.
 */
public final class FileJoinTokenStore implements JoinTokenStore {

  static final String HEADER = "# ferry join tokens v1";

  private final Path file;
  private final Map<String, StoredJoinToken> tokens;

  private FileJoinTokenStore(Path file, Map<String, StoredJoinToken> tokens) {
    this.file = file;
    this.tokens = tokens;
  }

  /**
   * Opens the store in {@code file}, reading it when it exists (else it is created on the first
   * change).
   *
   * @throws IOException when the file exists but cannot be read
   * @throws CredentialsException when the file is malformed, naming the line
   */
  public static FileJoinTokenStore open(Path file) throws IOException {
    Map<String, StoredJoinToken> tokens = new LinkedHashMap<>();
    if (Files.exists(file)) {
      String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n", -1);
      if (!lines[0].equals(HEADER)) {
        throw new CredentialsException(file + " is not a Ferry join token file: first line must be '" + HEADER + "'");
      }
      for (int i = 1; i < lines.length; i++) {
        if (!lines[i].isEmpty()) {
          StoredJoinToken token = parse(file, i + 1, lines[i]);
          tokens.put(token.secretHash(), token);
        }
      }
    }
    return new FileJoinTokenStore(file, tokens);
  }

  @Override
  public synchronized void add(StoredJoinToken token) throws IOException {
    if (tokens.containsKey(token.secretHash())) {
      throw new IllegalStateException("a join token with this hash is already stored");
    }
    Map<String, StoredJoinToken> next = new LinkedHashMap<>(tokens);
    next.put(token.secretHash(), token);
    commit(next);
  }

  @Override
  public synchronized Optional<StoredJoinToken> find(String secretHash) {
    return Optional.ofNullable(tokens.get(secretHash));
  }

  @Override
  public synchronized boolean markRedeemed(String secretHash, Instant at) throws IOException {
    StoredJoinToken token = tokens.get(secretHash);
    if (token == null || token.redeemedAt().isPresent()) {
      return false;
    }
    Map<String, StoredJoinToken> next = new LinkedHashMap<>(tokens);
    next.put(secretHash, token.redeemed(at));
    commit(next);
    return true;
  }

  @Override
  public synchronized int removeExpired(Instant now) throws IOException {
    Map<String, StoredJoinToken> next = new LinkedHashMap<>(tokens);
    next.values().removeIf(token -> token.expiresAt().isBefore(now));
    int removed = tokens.size() - next.size();
    if (removed > 0) {
      commit(next);
    }
    return removed;
  }

  private void commit(Map<String, StoredJoinToken> next) throws IOException {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    for (StoredJoinToken t : next.values()) {
      text.append(t.secretHash()).append(' ')
          .append(t.hostName()).append(' ')
          .append(t.issuedAt()).append(' ')
          .append(t.expiresAt()).append(' ')
          .append(t.redeemedAt().map(Instant::toString).orElse("-")).append('\n');
    }
    SecureFiles.replacePrivate(file, text.toString());
    tokens.clear();
    tokens.putAll(next);
  }

  private static StoredJoinToken parse(Path file, int lineNumber, String line) {
    String[] fields = line.split(" ");
    try {
      if (fields.length != 5) {
        throw new IllegalArgumentException("expected 5 fields, found " + fields.length);
      }
      Optional<Instant> redeemed = fields[4].equals("-") ? Optional.empty() : Optional.of(Instant.parse(fields[4]));
      return new StoredJoinToken(fields[0], fields[1], Instant.parse(fields[2]), Instant.parse(fields[3]), redeemed);
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw new CredentialsException(file + " line " + lineNumber + " is malformed: " + e.getMessage(), e);
    }
  }
}
