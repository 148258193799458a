package io.ferry.agent.images;

import io.ferry.agent.AgentException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to do with an imported archive besides unpacking it.
 *
 * @param aliases names to point at the image once imported (e.g. {@code busybox}, {@code
 *     debian/12}); an alias that names another image moves to this one. Duplicates are dropped.
 * @param expectedSha256 when present, the SHA-256 the upload must have (64 hex digits, an optional
 *     {@code sha256:} prefix); a mismatch refuses the import. When it names an image already in the
 *     store, the upload is only hashed, never unpacked: the cheap way to re-import.
 * @param source free text recorded with the image, e.g. the file name it came from (at most 1024
 *     characters)
 * @throws AgentException INVALID_ARGUMENT from the constructor naming the bad alias, digest or source
 */
public record ImportOptions(List<String> aliases, Optional<String> expectedSha256, String source) {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final int MAX_SOURCE_CHARS = 1024;

  public ImportOptions {
    List<String> checked = new ArrayList<>();
    for (String alias : new LinkedHashSet<>(aliases)) {
      checked.add(AliasTable.requireValid(alias));
    }
    aliases = List.copyOf(checked);
    expectedSha256 = expectedSha256.map(ImportOptions::normalizeDigest);
    source = source == null ? "" : source;
    if (source.length() > MAX_SOURCE_CHARS) {
      throw AgentException.invalid("image source description is longer than " + MAX_SOURCE_CHARS + " characters");
    }
  }

  /** No aliases, no expected digest, no source. */
  public static ImportOptions none() {
    return new ImportOptions(List.of(), Optional.empty(), "");
  }

  public static ImportOptions aliases(String... aliases) {
    return new ImportOptions(List.of(aliases), Optional.empty(), "");
  }

  public ImportOptions withExpectedSha256(String digest) {
    return new ImportOptions(aliases, Optional.of(digest), source);
  }

  public ImportOptions withSource(String text) {
    return new ImportOptions(aliases, expectedSha256, text);
  }

  private static String normalizeDigest(String digest) {
    String hex = digest.strip().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256:")) {
      hex = hex.substring("sha256:".length());
    }
    if (!SHA256.matcher(hex).matches()) {
      throw AgentException.invalid("expected sha256 '" + digest + "' is not 64 hexadecimal digits");
    }
    return hex;
  }
}
