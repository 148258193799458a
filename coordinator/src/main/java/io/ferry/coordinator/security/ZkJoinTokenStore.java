package io.ferry.coordinator.security;

import io.ferry.common.security.JoinTokenStore;
import io.ferry.common.security.StoredJoinToken;
import io.ferry.coordinator.store.ClusterPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Join tokens in ZooKeeper, one znode per token under {@link ClusterPaths#joinTokens}, named by
 * the SHA-256 of its secret (never the secret). Data: {@code host issuedAt expiresAt redeemedAt|-}.
 * Shared by every coordinator; {@link #markRedeemed} is a versioned {@code setData}, so of any
 * number of concurrent redemptions, across coordinators, exactly one wins.
 */
public final class ZkJoinTokenStore implements JoinTokenStore {

  private final CuratorFramework client;
  private final ClusterPaths paths;

  public ZkJoinTokenStore(CuratorFramework client, ClusterPaths paths) {
    this.client = client;
    this.paths = paths;
  }

  @Override
  public void add(StoredJoinToken token) throws IOException {
    try {
      client.create().creatingParentsIfNeeded().forPath(paths.joinToken(token.secretHash()), encode(token));
    } catch (KeeperException.NodeExistsException e) {
      throw new IllegalStateException("a join token with this hash is already stored");
    } catch (Exception e) {
      throw io("store a join token", e);
    }
  }

  @Override
  public Optional<StoredJoinToken> find(String secretHash) throws IOException {
    return read(secretHash, new Stat());
  }

  @Override
  public boolean markRedeemed(String secretHash, Instant at) throws IOException {
    Stat stat = new Stat();
    Optional<StoredJoinToken> stored = read(secretHash, stat);
    if (stored.isEmpty() || stored.get().redeemedAt().isPresent()) {
      return false;
    }
    try {
      client.setData().withVersion(stat.getVersion()).forPath(paths.joinToken(secretHash), encode(stored.get().redeemed(at)));
      return true;
    } catch (KeeperException.BadVersionException | KeeperException.NoNodeException lost) {
      return false; // Another redemption (or a removal) came first.
    } catch (Exception e) {
      throw io("mark a join token used", e);
    }
  }

  @Override
  public int removeExpired(Instant now) throws IOException {
    int removed = 0;
    try {
      List<String> hashes = client.checkExists().forPath(paths.joinTokens()) == null ? List.of() : client.getChildren().forPath(paths.joinTokens());
      for (String hash : hashes) {
        Optional<StoredJoinToken> token = read(hash, new Stat());
        if (token.isPresent() && token.get().isExpiredAt(now)) {
          try {
            client.delete().forPath(paths.joinToken(hash));
            removed++;
          } catch (KeeperException.NoNodeException gone) {
            // Removed by another coordinator.
          }
        }
      }
      return removed;
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw io("remove expired join tokens", e);
    }
  }

  private Optional<StoredJoinToken> read(String secretHash, Stat stat) throws IOException {
    String path;
    try {
      path = paths.joinToken(secretHash);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    try {
      String[] f = new String(client.getData().storingStatIn(stat).forPath(path), StandardCharsets.UTF_8).split(" ");
      return Optional.of(new StoredJoinToken(
          secretHash, f[0], Instant.parse(f[1]), Instant.parse(f[2]), f[3].equals("-") ? Optional.empty() : Optional.of(Instant.parse(f[3]))));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    } catch (Exception e) {
      throw io("read a join token", e);
    }
  }

  private static byte[] encode(StoredJoinToken t) {
    return (t.hostName() + " " + t.issuedAt() + " " + t.expiresAt() + " " + t.redeemedAt().map(Instant::toString).orElse("-"))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static IOException io(String what, Exception e) {
    return new IOException("cannot " + what + " in ZooKeeper: " + e.getMessage(), e);
  }
}
