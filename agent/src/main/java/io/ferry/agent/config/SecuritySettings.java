package io.ferry.agent.config;

import io.ferry.common.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent's mutual-TLS material and how it gets it ({@code security.*} and {@code join.*} keys).
 *
 * <p>The agent serves and dials only with mutual TLS. Its directory holds {@code ca.crt}, {@code
 * host.crt} and {@code host.key} (0600). When they are missing and a join token is configured, the
 * agent joins first: it makes its own key, redeems the token at the coordinator's join endpoint
 * and writes the three files; later starts use them and ignore the token. Missing with no token:
 * the agent refuses to start.
 *
 * @param dir {@code security.dir}, default {@code <state.dir>/security}
 * @param joinToken {@code join.token}: a token from {@code ferry host add NAME}
 * @param joinCoordinator {@code join.coordinator}: the coordinator's join endpoint, {@code
 *     host:port} (its {@code join.port}, 7702 by default)
 * @param revocationRefresh {@code security.revocation-refresh}: how often a clustered agent re-reads
 *     the cluster's revocation list from ZooKeeper (default 10s): the bound on how long a revoked
 *     certificate can still open a connection to this agent
 */
public record SecuritySettings(Path dir, Optional<String> joinToken, Optional<String> joinCoordinator, Duration revocationRefresh) {

  public static final String KEY_DIR = "security.dir";
  public static final String KEY_JOIN_TOKEN = "join.token";
  public static final String KEY_JOIN_COORDINATOR = "join.coordinator";
  public static final String KEY_REVOCATION_REFRESH = "security.revocation-refresh";

  public SecuritySettings {
    Objects.requireNonNull(dir, KEY_DIR);
    if (joinToken.isPresent() != joinCoordinator.isPresent()) {
      throw new ConfigException(KEY_JOIN_TOKEN, KEY_JOIN_TOKEN + " and " + KEY_JOIN_COORDINATOR + " go together");
    }
    if (revocationRefresh.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new ConfigException(KEY_REVOCATION_REFRESH, KEY_REVOCATION_REFRESH + " must be at least 1s");
    }
  }
}
