package io.ferry.common.security.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the ACL ids of Ferry's ZooKeeper scheme match the ids its sessions are given. */
class HostAuthenticationProviderTest {

  private final HostAuthenticationProvider provider = new HostAuthenticationProvider();

  @Test
  void theHostsIdMatchesEveryHostAndNothingElse() {
    assertThat(provider.matches("host:host-1", HostAuthenticationProvider.HOSTS)).isTrue();
    assertThat(provider.matches("host:c1", HostAuthenticationProvider.HOSTS)).isTrue();
    assertThat(provider.matches("user:alice", HostAuthenticationProvider.HOSTS)).isFalse();
    assertThat(provider.matches("hosts", "host:host-1")).isFalse();
  }

  @Test
  void aHostIdMatchesThatHostOnly() {
    assertThat(provider.matches("host:host-1", "host:host-1")).isTrue();
    assertThat(provider.matches("host:host-2", "host:host-1")).isFalse();
  }

  @Test
  void onlyHostsAndWellFormedHostIdsAreValidInAnAcl() {
    assertThat(provider.isValid(HostAuthenticationProvider.HOSTS)).isTrue();
    assertThat(provider.isValid("host:host-1")).isTrue();
    assertThat(provider.isValid("host:../etc")).isFalse();
    assertThat(provider.isValid("anyone")).isFalse();
    assertThat(provider.getScheme()).isEqualTo(ZooKeeperTls.SCHEME);
  }
}
