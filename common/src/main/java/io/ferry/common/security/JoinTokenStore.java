package io.ferry.common.security;

import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * Where issued join tokens are kept, by the hash of their secret. Implementations: {@link
 * InMemoryJoinTokenStore} (one process, lost on restart), {@link FileJoinTokenStore} (one
 * process, survives restarts); the coordinator adds a ZooKeeper one, shared by all coordinators.
 *
 * <p>Every implementation must pass the conformance suite ({@code JoinTokenStoreContract} in the
 * tests) and above all make {@link #markRedeemed} atomic: of any number of concurrent calls for
 * one token, across every process sharing the store, exactly one returns true.
 *
 * <p>All methods may be called from any thread. Storage failures are {@link IOException}s.
 */
public interface JoinTokenStore {

  /**
   * Records a new token.
   *
   * @throws IllegalStateException when a token with the same hash is already stored
   */
  void add(StoredJoinToken token) throws IOException;

  /** The token with {@code secretHash}, redeemed or not, or empty when none is stored. */
  Optional<StoredJoinToken> find(String secretHash) throws IOException;

  /**
   * Marks the token with {@code secretHash} redeemed at {@code at}, if it is stored and not yet
   * redeemed. Atomic: returns true to exactly one caller per token, false to all others and for
   * an unknown hash.
   */
  boolean markRedeemed(String secretHash, Instant at) throws IOException;

  /** Forgets every token that expired before {@code now}, redeemed or not; returns how many. */
  int removeExpired(Instant now) throws IOException;
}
