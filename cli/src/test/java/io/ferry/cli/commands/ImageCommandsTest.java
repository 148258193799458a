package io.ferry.cli.commands;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.cli.testing.CliHarness.Result;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.DeleteImageRequest;
import io.ferry.proto.v1.Image;
import io.ferry.proto.v1.SetImageAliasRequest;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageCommandsTest extends ClusterCommandTest {

  @TempDir Path dir;

  private static ClusterImage busybox() {
    return ClusterImage.newBuilder()
        .setImage(Image.newBuilder().setDigest("0123456789abcdef").addAliases("busybox").setUnpackedBytes(2L << 20).setFileCount(400).setSource("busybox.tar.zst"))
        .addHosts("host-1").addHosts("host-2")
        .build();
  }

  @Test
  void importStreamsTheFileWithAHeaderOfAliasesHostsAndDigest() throws Exception {
    Path file = Files.write(dir.resolve("debian-12.tar.zst"), new byte[(3 << 20) / 2]);

    Result r = cli.run("image", "import", file.toString(), "--alias", "debian/12", "--alias", "debian",
        "--host", "host-1", "--host", "host-3", "--sha256", "abc123");

    assertThat(r.exit()).as(r.toString()).isZero();
    ClusterImportImageRequest.Header header = coordinator.imported.get(0).getHeader();
    assertThat(header.getAliasesList()).containsExactly("debian/12", "debian");
    assertThat(header.getHostsList()).containsExactly("host-1", "host-3");
    assertThat(header.getExpectedSha256()).isEqualTo("abc123");
    assertThat(header.getSource()).isEqualTo("debian-12.tar.zst");
    assertThat(coordinator.imported).hasSize(3);
    assertThat(coordinator.imported.get(2).getChunk().getOffset()).isEqualTo(1L << 20);
    assertThat(r.out()).contains("debian/12,debian").contains("host-1,host-3");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void importFailsOverToTheNextCoordinatorAndStartsTheUploadAgain() throws Exception {
    Path file = Files.write(dir.resolve("busybox.tar"), new byte[1000]);
    coordinator.failures.put("importImage", Status.UNAVAILABLE.withDescription("not the leader; leader is c2:7700"));
    FakeCoordinator leader = cli.start("c2:7700");

    Result r = cli.run("image", "import", file.toString(), "--alias", "busybox");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(leader.imported).hasSize(2);
    assertThat(leader.imported.get(0).getHeader().getAliasesList()).containsExactly("busybox");
    assertThat(leader.imported.get(1).getChunk().getData().size()).isEqualTo(1000);
  }

  @Test
  void aMissingFileIsAUsageError() {
    Result r = cli.run("image", "import", dir.resolve("nope.tar").toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("no such file or directory: " + dir.resolve("nope.tar"));
    assertThat(cli.dialled).isEmpty();
  }

  @Test
  void aRefusedArchiveIsAServerError() throws Exception {
    Path file = Files.write(dir.resolve("evil.tar"), new byte[10]);
    coordinator.failures.put("importImage", Status.INVALID_ARGUMENT.withDescription("entry ../etc/passwd escapes the root"));

    Result r = cli.run("image", "import", file.toString());

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("Error: INVALID_ARGUMENT: entry ../etc/passwd escapes the root\n");
  }

  @Test
  void listShowsWhichHostsHoldEachImage() {
    coordinator.images = List.of(busybox());

    Result r = cli.run("image", "list");

    assertThat(r.out()).isEqualTo(
        "ALIASES  DIGEST        SIZE     FILES  SOURCE           HOSTS\n"
            + "busybox  0123456789ab  2.0 MiB  400    busybox.tar.zst  host-1,host-2\n");
    assertThat(cli.run("image", "list", "-o", "json").out()).contains("\"hosts\": [\"host-1\", \"host-2\"]");
  }

  @Test
  void deleteAndAliasSendTheImage() {
    coordinator.images = List.of(busybox());

    assertThat(cli.run("image", "delete", "busybox").exit()).isZero();
    assertThat(coordinator.last(DeleteImageRequest.class).getImage()).isEqualTo("busybox");

    Result aliased = cli.run("image", "alias", "0123456789ab", "bb");
    assertThat(coordinator.last(SetImageAliasRequest.class))
        .isEqualTo(SetImageAliasRequest.newBuilder().setImage("0123456789ab").setAlias("bb").build());
    assertThat(aliased.out()).contains("busybox,bb");
  }

  @Test
  void anImageInUseIsRefusedWithTheServersWords() {
    coordinator.failures.put("deleteImage", Status.FAILED_PRECONDITION.withDescription("busybox is used by web-1 on host-2"));

    Result r = cli.run("image", "delete", "busybox");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("FAILED_PRECONDITION: busybox is used by web-1 on host-2");
  }
}
