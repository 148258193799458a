package io.ferry.agent.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ferry.agent.AgentException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's metadata in memory: the published images (as their {@code image.json} says) and
 * the {@link AliasTable}; resolves references. Not thread-safe: {@link ImageStore} holds this
 * object's monitor around every use, which makes it the store's metadata lock.
 */
final class ImageIndex {

  private static final Logger log = LoggerFactory.getLogger(ImageIndex.class);

  private static final Pattern DIGEST_PREFIX = Pattern.compile("[0-9a-f]{12,64}");

  private final Map<String, ImageRecord> images;
  private final AliasTable aliases;

  private ImageIndex(Map<String, ImageRecord> images, AliasTable aliases) {
    this.images = images;
    this.aliases = aliases;
  }

  /**
   * Reads every {@code root/<sha256>/image.json} and {@code aliases.json}. An image directory
   * without a readable {@code image.json} or {@code rootfs/} is moved into {@code .tmp} and
   * deleted; an alias naming no image here is dropped (and the file rewritten); other paths in the
   * root are left alone. Each with a warning.
   */
  static ImageIndex load(StoreLayout layout, ObjectMapper json) throws IOException {
    Map<String, ImageRecord> images = new HashMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(layout.root())) {
      for (Path path : entries) {
        String name = path.getFileName().toString();
        if (path.equals(layout.tmp()) || path.equals(layout.lockFile()) || path.equals(layout.aliasesFile())) {
          continue;
        }
        if (!StoreLayout.isDigest(name) || !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          log.warn("image store root={} holds unexpected path={}: left alone", layout.root(), name);
          continue;
        }
        try {
          if (!Files.isDirectory(layout.rootfs(name), LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("no rootfs directory");
          }
          images.put(name, ImageJson.read(json, layout.metadataFile(name), name));
        } catch (IOException e) {
          log.warn("image={} is incomplete ({}): removing it", name, e.getMessage());
          Path trash = layout.tmp().resolve("broken-" + UUID.randomUUID());
          Files.move(path, trash, StandardCopyOption.ATOMIC_MOVE);
          FileTrees.deleteQuietly(trash);
        }
      }
    }
    ImageIndex index = new ImageIndex(images, AliasTable.load(layout, json));
    index.dropDanglingAliases(layout.root());
    return index;
  }

  AliasTable aliases() {
    return aliases;
  }

  int size() {
    return images.size();
  }

  boolean contains(String digest) {
    return images.containsKey(digest);
  }

  void put(ImageRecord image) {
    images.put(image.digest(), image.withAliases(List.of()));
  }

  void remove(String digest) {
    images.remove(digest);
  }

  /** The image with its current aliases; the digest must be present. */
  ImageRecord record(String digest) {
    return images.get(digest).withAliases(aliases.aliasesOf(digest));
  }

  /** Every image with its aliases, oldest first. */
  List<ImageRecord> list() {
    Map<String, List<String>> byDigest = new HashMap<>();
    aliases.all().forEach((alias, digest) -> byDigest.computeIfAbsent(digest, d -> new ArrayList<>()).add(alias));
    return images.values().stream()
        .map(image -> image.withAliases(byDigest.getOrDefault(image.digest(), List.of())))
        .sorted(Comparator.comparing(ImageRecord::createdAt).thenComparing(ImageRecord::digest))
        .toList();
  }

  /**
   * The digest {@code ref} names: an alias first, else a full digest or a unique prefix of 12+ hex
   * digits (case-insensitive, optional {@code sha256:} prefix).
   *
   * @throws AgentException NOT_FOUND naming {@code ref} when unknown or ambiguous; INVALID_ARGUMENT
   *     when blank
   */
  String resolve(String ref) {
    if (ref == null || ref.isBlank()) {
      throw AgentException.invalid("an image reference (alias or digest) is required");
    }
    Optional<String> byAlias = aliases.digestOf(ref);
    if (byAlias.isPresent()) {
      return byAlias.get();
    }
    String hex = ref.strip().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256:")) {
      hex = hex.substring("sha256:".length());
    }
    if (DIGEST_PREFIX.matcher(hex).matches()) {
      String prefix = hex;
      List<String> matches = images.keySet().stream().filter(d -> d.startsWith(prefix)).toList();
      if (matches.size() == 1) {
        return matches.get(0);
      }
      if (matches.size() > 1) {
        throw AgentException.notFound(
            "image reference " + EntryPaths.quote(ref) + " is ambiguous: " + matches.size() + " images start with it");
      }
    }
    throw AgentException.notFound(
        "no image " + EntryPaths.quote(ref) + " (not an alias here, nor a digest or a prefix of 12+ hex digits of one)");
  }

  /** How messages name an image: "busybox (0123456789ab)", or the short digest. */
  String label(String digest) {
    List<String> names = aliases.aliasesOf(digest);
    String shortDigest = digest.substring(0, 12);
    return names.isEmpty() ? shortDigest : names.get(0) + " (" + shortDigest + ")";
  }

  private void dropDanglingAliases(Path root) {
    SortedMap<String, String> all = aliases.all();
    SortedMap<String, String> kept = aliases.all();
    if (kept.entrySet().removeIf(e -> AliasTable.problem(e.getKey()) != null || !images.containsKey(e.getValue()))) {
      List<String> dropped = all.keySet().stream().filter(alias -> !kept.containsKey(alias)).toList();
      log.warn("image store root={} dropped aliases={}: they name no image here", root, dropped);
      aliases.replace(kept);
    }
  }
}
