package io.ferry.cli.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.FakeCoordinator;
import io.ferry.proto.v1.ClusterImage;
import io.ferry.proto.v1.ClusterImportImageRequest;
import io.ferry.proto.v1.ImageServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageUploadTest {

  @TempDir Path dir;

  private final CliHarness cluster = new CliHarness();
  private final List<Long> progress = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  private ClusterImage upload(ImageSource source, ClusterImportImageRequest.Header header) throws Exception {
    ManagedChannel channel = cluster.channels().open(CliHarness.ADDRESS);
    try {
      return ImageUpload.upload(
          ImageUpload.toCluster(ImageServiceGrpc.newStub(channel), header), source, Duration.ofSeconds(30), progress::add);
    } finally {
      channel.shutdownNow();
    }
  }

  private Path file(int bytes) throws Exception {
    byte[] data = new byte[bytes];
    new Random(7).nextBytes(data);
    return Files.write(dir.resolve("rootfs.tar.zst"), data);
  }

  @Test
  void theHeaderComesFirstThenMiBChunksInOrderWithTheirOffsets() throws Exception {
    FakeCoordinator c = cluster.start(CliHarness.ADDRESS);
    Path file = file((5 << 20) / 2);

    ClusterImage image = upload(ImageSource.of(file), ClusterImportImageRequest.Header.newBuilder()
        .addAliases("debian/12").addHosts("host-2").setExpectedSha256("ff").build());

    ClusterImportImageRequest.Header header = c.imported.get(0).getHeader();
    assertThat(c.imported.get(0).hasHeader()).isTrue();
    assertThat(header.getAliasesList()).containsExactly("debian/12");
    assertThat(header.getHostsList()).containsExactly("host-2");
    assertThat(header.getExpectedSha256()).isEqualTo("ff");
    assertThat(header.getSource()).isEqualTo("rootfs.tar.zst");
    List<ClusterImportImageRequest> chunks = c.imported.subList(1, c.imported.size());
    assertThat(chunks).allMatch(ClusterImportImageRequest::hasChunk);
    assertThat(chunks).extracting(p -> p.getChunk().getOffset()).containsExactly(0L, 1L << 20, 2L << 20);
    assertThat(chunks).extracting(p -> p.getChunk().getData().size()).containsExactly(1 << 20, 1 << 20, 1 << 19);
    assertThat(concat(chunks)).isEqualTo(Files.readAllBytes(file));
    assertThat(progress).containsExactly(1L << 20, 2L << 20, (5L << 20) / 2);
    assertThat(image.getHostsList()).containsExactly("host-2");
  }

  @Test
  void sendsOnlyWhenTheServerAsksAndStillDeliversEverything() throws Exception {
    FakeCoordinator c = cluster.start(CliHarness.ADDRESS);
    c.importOneAtATime = true;
    Path file = file((7 << 20) / 2);

    upload(ImageSource.of(file), ClusterImportImageRequest.Header.getDefaultInstance());

    assertThat(c.imported).hasSize(1 + 4);
    assertThat(concat(c.imported.subList(1, c.imported.size()))).isEqualTo(Files.readAllBytes(file));
  }

  @Test
  void aDirectoryGoesAsASortedTarStreamNamedWithASlash() throws Exception {
    FakeCoordinator c = cluster.start(CliHarness.ADDRESS);
    Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
    Files.createDirectories(rootfs.resolve("etc"));
    Files.writeString(rootfs.resolve("etc/hostname"), "web\n");
    Files.writeString(rootfs.resolve("init"), "#!/bin/sh\n");

    upload(ImageSource.of(rootfs), ClusterImportImageRequest.Header.getDefaultInstance());

    assertThat(c.imported.get(0).getHeader().getSource()).isEqualTo("rootfs/");
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(concat(c.imported.subList(1, c.imported.size()))))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertThat(names).containsExactly("./", "./etc/", "./etc/hostname", "./init");
  }

  @Test
  void anEmptyFileSendsOnlyTheHeader() throws Exception {
    FakeCoordinator c = cluster.start(CliHarness.ADDRESS);

    upload(ImageSource.of(file(0)), ClusterImportImageRequest.Header.getDefaultInstance());

    assertThat(c.imported).hasSize(1);
    assertThat(c.imported.get(0).hasHeader()).isTrue();
  }

  private static byte[] concat(List<ClusterImportImageRequest> chunks) throws Exception {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (ClusterImportImageRequest p : chunks) {
      ByteString data = p.getChunk().getData();
      data.writeTo(all);
    }
    return all.toByteArray();
  }
}
