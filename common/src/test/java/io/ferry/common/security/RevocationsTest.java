package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationsTest {

  private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final BigInteger SERIAL = new BigInteger("8f3a0c1d2e4b5a6978", 16);

  @TempDir Path directory;

  @Test
  void aRevocationIsPersistedAndReadBackByANewHolder() throws IOException {
    Path file = directory.resolve("revoked.txt");
    Revocations revocations = Revocations.persistent(file, CLOCK);

    revocations.revoke(SERIAL, RevocationReason.HOST_REMOVED);

    assertThat(revocations.get().isRevoked(SERIAL)).isTrue();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    RevocationList reread = Revocations.persistent(file, CLOCK).get();
    assertThat(reread.find(SERIAL)).contains(new Revocation(SERIAL, RevocationReason.HOST_REMOVED, NOW));
    assertThat(reread).isEqualTo(revocations.get());
    try (var leftovers = Files.list(directory)) {
      assertThat(leftovers).containsExactly(file);
    }
  }

  @Test
  void revokingTwiceKeepsTheFirstReason() throws IOException {
    Revocations revocations = Revocations.inMemory(RevocationList.empty(), CLOCK);

    revocations.revoke(SERIAL, RevocationReason.KEY_COMPROMISED);
    Revocation second = revocations.revoke(SERIAL, RevocationReason.SUPERSEDED);

    assertThat(second.reason()).isEqualTo(RevocationReason.KEY_COMPROMISED);
    assertThat(revocations.get().size()).isEqualTo(1);
  }

  @Test
  void aFailedWriteChangesNothing() throws IOException {
    Path missingDirectory = directory.resolve("gone").resolve("revoked.txt");
    Revocations revocations = Revocations.persistent(missingDirectory, CLOCK);

    assertThatThrownBy(() -> revocations.revoke(SERIAL, RevocationReason.HOST_REMOVED)).isInstanceOf(IOException.class);
    assertThat(revocations.get().isRevoked(SERIAL)).isFalse();
  }

  @Test
  void reloadPicksUpAFileAnotherWriterReplaced() throws IOException {
    Path file = directory.resolve("revoked.txt");
    Revocations reader = Revocations.persistent(file, CLOCK);
    Revocations.persistent(file, CLOCK).revoke(SERIAL, RevocationReason.ACCESS_WITHDRAWN);
    assertThat(reader.get().isRevoked(SERIAL)).isFalse();

    reader.reload();

    assertThat(reader.get().isRevoked(SERIAL)).isTrue();
  }

  @Test
  void aMalformedFileIsRefusedWithItsLine() throws IOException {
    Path file = directory.resolve("revoked.txt");
    Files.writeString(file, RevocationList.HEADER + "\nzz HOST_REMOVED 2026-01-01T00:00:00Z\n");

    assertThatThrownBy(() -> Revocations.persistent(file, CLOCK)).isInstanceOf(CredentialsException.class).hasMessageContaining("line 2");
    Files.writeString(file, "serials\n");
    assertThatThrownBy(() -> Revocations.persistent(file, CLOCK)).isInstanceOf(CredentialsException.class).hasMessageContaining("first line");
  }

  @Test
  void theTextFormRoundTrips() {
    RevocationList list = RevocationList.empty()
        .with(new Revocation(SERIAL, RevocationReason.HOST_REMOVED, NOW))
        .with(new Revocation(BigInteger.TEN, RevocationReason.SUPERSEDED, NOW.plusSeconds(5)));

    assertThat(RevocationList.parse(list.toText())).isEqualTo(list);
    assertThat(list.toText()).startsWith(RevocationList.HEADER + "\n8f3a0c1d2e4b5a6978 HOST_REMOVED 2026-11-30T12:00:00Z\n");
  }
}
