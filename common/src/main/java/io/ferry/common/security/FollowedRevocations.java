package io.ferry.common.security;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A revocation list that is empty until it is told where the real one is, for a process whose
 * list lives in ZooKeeper while ZooKeeper itself is reached with the TLS identity that checks it:
 * the identity is built with this supplier, ZooKeeper is connected, then {@link #follow} points it
 * at the list read from there. Until then, as far as this process knows, nothing is revoked;
 * ZooKeeper's own server checks the cluster's list for the connection in question.
 *
 * <p>Thread-safe.
 */
public final class FollowedRevocations implements Supplier<RevocationList> {

  private final AtomicReference<Supplier<RevocationList>> source = new AtomicReference<>(RevocationList::empty);

  /** From now on, answers what {@code list} answers. */
  public void follow(Supplier<RevocationList> list) {
    source.set(Objects.requireNonNull(list, "list"));
  }

  @Override
  public RevocationList get() {
    return source.get().get();
  }
}
