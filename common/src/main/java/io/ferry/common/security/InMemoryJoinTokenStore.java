package io.ferry.common.security;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@link JoinTokenStore} in this process's memory: for a single-process cluster whose tokens
 * need not survive a restart, and for tests. Lock-free reads; {@link #markRedeemed} is atomic
 * through {@link ConcurrentMap#computeIfPresent}.
 */
public final class InMemoryJoinTokenStore implements JoinTokenStore {

  private final ConcurrentMap<String, StoredJoinToken> tokens = new ConcurrentHashMap<>();

  @Override
  public void add(StoredJoinToken token) {
    if (tokens.putIfAbsent(token.secretHash(), token) != null) {
      throw new IllegalStateException("a join token with this hash is already stored");
    }
  }

  @Override
  public Optional<StoredJoinToken> find(String secretHash) {
    return Optional.ofNullable(tokens.get(secretHash));
  }

  @Override
  public boolean markRedeemed(String secretHash, Instant at) {
    AtomicBoolean marked = new AtomicBoolean();
    tokens.computeIfPresent(secretHash, (hash, token) -> {
      if (token.redeemedAt().isPresent()) {
        return token;
      }
      marked.set(true);
      return token.redeemed(at);
    });
    return marked.get();
  }

  @Override
  public int removeExpired(Instant now) {
    int removed = 0;
    for (StoredJoinToken token : tokens.values()) {
      if (token.expiresAt().isBefore(now) && tokens.remove(token.secretHash(), token)) {
        removed++;
      }
    }
    return removed;
  }
}
