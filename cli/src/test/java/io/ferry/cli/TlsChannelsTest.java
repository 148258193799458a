package io.ferry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.common.security.Role;
import io.ferry.common.security.TestPki;
import io.grpc.ManagedChannel;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsChannelsTest {

  @Test
  void flagsWinOverTheEnvironmentWhichWinsOverTheDefaults() {
    Map<String, String> env = Map.of("HOME", "/home/ann", TlsChannels.KEY_ENV, "/env/k.key", TlsChannels.CA_ENV, "/env/ca.crt");
    TlsChannels channels = TlsChannels.resolve(Path.of("/flag/c.crt"), null, null, env, 1 << 20);
    assertThat(channels.certificate()).isEqualTo(Path.of("/flag/c.crt"));
    assertThat(channels.key()).isEqualTo(Path.of("/env/k.key"));
    assertThat(channels.ca()).isEqualTo(Path.of("/env/ca.crt"));

    TlsChannels defaults = TlsChannels.resolve(null, null, null, Map.of("HOME", "/home/ann"), 1 << 20);
    assertThat(defaults.certificate()).isEqualTo(Path.of("/home/ann/.config/ferry/client.crt"));
    assertThat(defaults.key()).isEqualTo(Path.of("/home/ann/.config/ferry/client.key"));
    assertThat(defaults.ca()).isEqualTo(Path.of("/home/ann/.config/ferry/ca.crt"));
  }

  @Test
  void aMissingCertificateFailsWithItsNameAndThereIsNoPlaintextFallback(@TempDir Path dir) {
    TlsChannels channels = TlsChannels.resolve(dir.resolve("none.crt"), dir.resolve("none.key"), dir.resolve("ca.crt"), Map.of(), 1 << 20);
    assertThatThrownBy(() -> channels.open("127.0.0.1:1"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("none.crt")
        .hasMessageContaining("FERRY_CERT");
  }

  @Test
  void opensATlsChannelWithAnIssuedClientCertificate(@TempDir Path dir) throws Exception {
    TestPki pki = TestPki.in(dir.resolve("ca"));
    TestPki.ClientFiles files = pki.client("ann", Role.VIEWER);
    ManagedChannel channel = TlsChannels.resolve(files.certificate(), files.key(), files.ca(), Map.of(), 1 << 20).open("127.0.0.1:1");
    try {
      assertThat(channel.authority()).isEqualTo("127.0.0.1:1");
    } finally {
      channel.shutdownNow();
    }
  }
}
