package io.ferry.agent.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.agent.config.AgentConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes the real host as {@code deploy/host-setup.sh} left it: runc from Debian and a CRIU that
 * passes {@code criu check} on this kernel. Fails (never skips) when host setup has not run.
 */
class HostProbeIT {

  private static final Logger log = LoggerFactory.getLogger(HostProbeIT.class);

  @Test
  void findsRuncAndAWorkingCriu(@TempDir Path state) {
    AgentConfig config =
        AgentConfig.load(state.resolve("absent.properties"), AgentConfig.HOST_ENV_FILE, Map.of());
    Path runc = config.runc();
    Path criu = config.criu();

    HostFacts facts = new HostProbe(runc, criu, state).probe("it-host", "test");

    assertThat(facts.runtime().version()).as("runc version from %s", runc).startsWith("1.");
    assertThat(facts.criu().available()).as(facts.criu().detail()).isTrue();
    assertThat(facts.criu().version()).isEqualTo("4.2.1");
    assertThat(facts.criu().checkPassed()).as("criu check: %s", facts.criu().detail()).isTrue();
    assertThat(facts.criu().features())
        .extracting(HostFacts.CriuFeature::name)
        .containsExactlyElementsOf(HostProbe.CRIU_FEATURES);
    // Measured on these machines: post-copy works, soft-dirty tracking does not exist.
    assertThat(facts.criu().supports("uffd-noncoop")).isTrue();
    log.info("CRIU check passed: criu {} at {}, features {}", facts.criu().version(), criu, facts.criu().features());
  }
}
