package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileJoinTokenStoreTest extends JoinTokenStoreContract {

  @TempDir Path directory;

  @Override
  JoinTokenStore store() throws Exception {
    return FileJoinTokenStore.open(directory.resolve("tokens"));
  }

  @Test
  void aRedemptionSurvivesReopeningAndTheFileIsPrivate() throws Exception {
    Path file = directory.resolve("tokens");
    StoredJoinToken token = token(1, "web-1", ISSUED.plusSeconds(3600));
    FileJoinTokenStore first = FileJoinTokenStore.open(file);
    first.add(token);
    first.markRedeemed(token.secretHash(), ISSUED.plusSeconds(5));

    FileJoinTokenStore reopened = FileJoinTokenStore.open(file);

    assertThat(reopened.find(token.secretHash())).contains(token.redeemed(ISSUED.plusSeconds(5)));
    assertThat(reopened.markRedeemed(token.secretHash(), ISSUED.plusSeconds(6))).isFalse();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
  }

  @Test
  void aMalformedFileIsRefused() throws Exception {
    Path file = directory.resolve("tokens");
    Files.writeString(file, FileJoinTokenStore.HEADER + "\nabc web-1\n");

    assertThatThrownBy(() -> FileJoinTokenStore.open(file)).isInstanceOf(CredentialsException.class).hasMessageContaining("line 2");
  }
}
