package io.ferry.agent.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.ferry.agent.AgentException;
import io.ferry.agent.AgentException.Kind;
import io.ferry.common.ByteSize;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the store random mutations of a valid archive (flipped bytes, header damage, truncations,
 * insertions, in every compression) and random archives built from a hostile alphabet of names,
 * types and link targets. Each import must either succeed or fail with an {@link AgentException}
 * saying the input is at fault (INVALID_ARGUMENT or RESOURCE_EXHAUSTED: never INTERNAL, which would
 * mean GNU tar met something validation let through), and leave nothing in {@code .tmp} and nothing
 * outside the store's root.
 *
 * <p>A seeded loop rather than jqwik: reproducible from the seed alone ({@code -Dferry.fuzz.seed},
 * {@code -Dferry.fuzz.rounds}); a failure names its seed and round.
 */
class ArchiveFuzzTest {

  private static final Logger log = LoggerFactory.getLogger(ArchiveFuzzTest.class);

  private static final long SEED = Long.getLong("ferry.fuzz.seed", 20261129L);
  private static final int ROUNDS = Integer.getInteger("ferry.fuzz.rounds", 400);
  private static final String MARKER = "escaped-" + Long.toHexString(SEED);

  private static final List<String> COMPONENTS = List.of(
      "a", "b", "etc", "..", ".", "", MARKER, "a b", "x\ny", "\u00e9t\u00e9", "\u202e", "-", "~", "*", "a".repeat(300));
  private static final List<String> TARGETS = List.of(
      "/", "/" + MARKER, "../" + MARKER, "../../" + MARKER, "a", "a/..", "./b", "..", ".", "", "etc/passwd", "/etc", "a/../..");
  private static final byte[] TYPES = {
    TarConstants.LF_NORMAL, TarConstants.LF_DIR, TarConstants.LF_SYMLINK, TarConstants.LF_LINK,
    TarConstants.LF_FIFO, TarConstants.LF_CHR, TarConstants.LF_BLK, TarConstants.LF_CONTIG, 'V', 'x', 'L', 'S'
  };

  @TempDir Path temp;

  @Test
  void mutatedArchivesImportCleanlyOrAreRefusedWithoutLeavingAnything() {
    Path sandbox = temp.resolve("sandbox");
    Path root = sandbox.resolve("store");
    ImageLimits limits = ImageLimits.DEFAULTS
        .withMaxArchive(ByteSize.ofMiB(8))
        .withMaxUnpacked(ByteSize.ofMiB(32))
        .withMaxEntries(2000);
    Random random = new Random(SEED);
    byte[] base = TestArchives.rootfs();
    Map<Kind, Integer> refusals = new EnumMap<>(Kind.class);
    int accepted = 0;

    try (ImageStore store = new ImageStore(root, limits)) {
      for (int round = 0; round < ROUNDS; round++) {
        byte[] input = random.nextInt(3) == 0 ? hostileArchive(random) : mutate(random, base);
        try {
          store.importArchive(new ByteArrayInputStream(input), ImportOptions.none());
          accepted++;
        } catch (AgentException e) {
          if (e.kind() != Kind.INVALID_ARGUMENT && e.kind() != Kind.RESOURCE_EXHAUSTED) {
            fail("seed %d round %d: %s %s", SEED, round, e.kind(), e.getMessage(), e);
          }
          refusals.merge(e.kind(), 1, Integer::sum);
        } catch (RuntimeException | Error e) {
          fail("seed %d round %d: not an AgentException: %s", SEED, round, e, e);
        }
        assertThat(StoreTree.children(root.resolve(".tmp"))).as("seed %d round %d: .tmp", SEED, round).isEmpty();
        assertThat(StoreTree.children(temp)).as("seed %d round %d", SEED, round).containsExactly("sandbox");
        assertThat(StoreTree.children(sandbox)).as("seed %d round %d", SEED, round).containsExactly("store");
      }
      // Hostile names may put the marker anywhere inside an image's rootfs, never beside the images.
      assertThat(StoreTree.children(root))
          .allMatch(name -> List.of(".lock", ".tmp", "aliases.json").contains(name) || StoreLayout.isDigest(name));
      for (ImageRecord image : store.list()) {
        assertThat(StoreTree.children(root.resolve(image.digest()))).containsExactlyInAnyOrder("image.json", "rootfs");
      }
    }
    assertThat(Files.exists(Path.of("/", MARKER))).isFalse();
    log.info("fuzz seed={} rounds={} accepted={} refused={}", SEED, ROUNDS, accepted, refusals);
    assertThat(accepted).as("some mutations must still be valid archives").isPositive();
    assertThat(refusals.getOrDefault(Kind.INVALID_ARGUMENT, 0)).isPositive();
  }

  private static byte[] mutate(Random random, byte[] tar) {
    byte[] input = tar.clone();
    switch (random.nextInt(5)) {
      case 0: // flip bytes anywhere
        for (int i = random.nextInt(8) + 1; i > 0; i--) {
          input[random.nextInt(input.length)] ^= (byte) (1 << random.nextInt(8));
        }
        break;
      case 1: // damage one header: name, mode, ids, size, type or link name fields
        int header = 512 * random.nextInt(input.length / 512);
        int[] fields = {0, 100, 108, 116, 124, 136, 148, 156, 157, 257, 345};
        int at = header + fields[random.nextInt(fields.length)] + random.nextInt(8);
        input[Math.min(at, input.length - 1)] = (byte) "0123456789/.\0 x\377".charAt(random.nextInt(16));
        break;
      case 2: // truncate
        input = Arrays.copyOf(input, random.nextInt(input.length));
        break;
      case 3: // insert bytes
        int position = random.nextInt(input.length);
        byte[] extra = new byte[random.nextInt(600) + 1];
        random.nextBytes(extra);
        byte[] grown = new byte[input.length + extra.length];
        System.arraycopy(input, 0, grown, 0, position);
        System.arraycopy(extra, 0, grown, position, extra.length);
        System.arraycopy(input, position, grown, position + extra.length, input.length - position);
        input = grown;
        break;
      default: // valid as it is
        break;
    }
    switch (random.nextInt(3)) {
      case 0:
        return compressedThenDamaged(random, TestArchives.gzip(input));
      case 1:
        return compressedThenDamaged(random, TestArchives.zstd(input));
      default:
        return input;
    }
  }

  private static byte[] compressedThenDamaged(Random random, byte[] compressed) {
    if (random.nextInt(3) == 0) {
      return compressed;
    }
    byte[] damaged = compressed.clone();
    if (random.nextBoolean()) {
      damaged[random.nextInt(damaged.length)] ^= (byte) (1 << random.nextInt(8));
      return damaged;
    }
    return Arrays.copyOf(damaged, random.nextInt(damaged.length));
  }

  /** Up to 8 entries with names, types, targets, modes and owners from a hostile alphabet. */
  private static byte[] hostileArchive(Random random) {
    TestArchives.Builder builder = TestArchives.tar();
    for (int i = random.nextInt(8) + 1; i > 0; i--) {
      byte type = TYPES[random.nextInt(TYPES.length)];
      TarArchiveEntry entry = TestArchives.Builder.entry(name(random), type, randomMode(random), randomId(random), randomId(random));
      if (type == TarConstants.LF_SYMLINK || type == TarConstants.LF_LINK) {
        entry.setLinkName(random.nextBoolean() ? TARGETS.get(random.nextInt(TARGETS.size())) : name(random));
      }
      byte[] data = null;
      if ((type == TarConstants.LF_NORMAL || type == TarConstants.LF_CONTIG) && !entry.isDirectory()) {
        data = ("content of " + entry.getName()).getBytes(StandardCharsets.UTF_8);
        entry.setSize(data.length);
      }
      builder.put(entry, data);
    }
    return builder.build();
  }

  private static String name(Random random) {
    StringBuilder name = new StringBuilder(random.nextInt(10) == 0 ? "/" : "");
    for (int i = random.nextInt(4) + 1; i > 0; i--) {
      name.append(COMPONENTS.get(random.nextInt(COMPONENTS.size())));
      if (i > 1 || random.nextInt(4) == 0) {
        name.append('/');
      }
    }
    return name.toString();
  }

  private static int randomMode(Random random) {
    return random.nextInt(4) == 0 ? random.nextInt(07777 + 1) : 0644;
  }

  private static long randomId(Random random) {
    switch (random.nextInt(6)) {
      case 0:
        return 4_294_967_295L;
      case 1:
        return random.nextInt(70_000);
      default:
        return 0;
    }
  }
}
