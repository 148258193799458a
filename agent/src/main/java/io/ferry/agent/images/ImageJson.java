package io.ferry.agent.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * An image's {@code image.json}:
 *
 * <pre>
 * {"version":1, "digest":"...", "archiveBytes":N, "unpackedBytes":N, "fileCount":N,
 *  "createdAt":"2026-11-29T21:30:00Z", "source":"...", "format":"zstd",
 *  "droppedAttributes":0}
 * </pre>
 *
 * Aliases are not kept here (they live in {@code aliases.json}, which changes far more often).
 */
final class ImageJson {

  private static final int VERSION = 1;

  private ImageJson() {}

  static byte[] bytes(ObjectMapper json, ImageRecord image, ArchiveScanner.Scanned scanned) throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("version", VERSION);
    root.put("digest", image.digest());
    root.put("archiveBytes", image.archiveBytes());
    root.put("unpackedBytes", image.unpackedBytes());
    root.put("fileCount", image.fileCount());
    root.put("createdAt", image.createdAt().toString());
    root.put("source", image.source());
    root.put("format", scanned.format().name().toLowerCase(Locale.ROOT));
    root.put("droppedAttributes", scanned.droppedAttributes());
    return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
  }

  /**
   * Reads the metadata of the image in {@code file}, with no aliases.
   *
   * @throws IOException when it cannot be read, is not this format, or names another digest
   */
  static ImageRecord read(ObjectMapper json, Path file, String expectedDigest) throws IOException {
    JsonNode root = json.readTree(file.toFile());
    if (root == null || !root.isObject()) {
      throw new IOException(file + " is not a JSON object");
    }
    if (root.path("version").asInt() != VERSION) {
      throw new IOException(file + " has unknown version " + root.path("version"));
    }
    String digest = text(root, "digest", file);
    if (!digest.equals(expectedDigest)) {
      throw new IOException(file + " describes image " + digest + ", not " + expectedDigest);
    }
    try {
      return new ImageRecord(
          digest,
          List.of(),
          number(root, "archiveBytes", file),
          number(root, "unpackedBytes", file),
          number(root, "fileCount", file),
          Instant.parse(text(root, "createdAt", file)),
          root.path("source").asText(""));
    } catch (DateTimeParseException e) {
      throw new IOException(file + " has an invalid createdAt: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode root, String field, Path file) throws IOException {
    JsonNode node = root.get(field);
    if (node == null || !node.isTextual()) {
      throw new IOException(file + " has no text field '" + field + "'");
    }
    return node.asText();
  }

  private static long number(JsonNode root, String field, Path file) throws IOException {
    JsonNode node = root.get(field);
    if (node == null || !node.canConvertToLong() || node.asLong() < 0) {
      throw new IOException(file + " has no non-negative number '" + field + "'");
    }
    return node.asLong();
  }
}
