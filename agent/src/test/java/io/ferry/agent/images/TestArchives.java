package io.ferry.agent.images;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Tar archives built in memory for tests, hostile ones included (names are written as given). */
final class TestArchives {

  static final FileTime MTIME = FileTime.from(Instant.parse("2024-01-02T03:04:05Z"));

  private TestArchives() {}

  static Builder tar() {
    return new Builder(StandardCharsets.UTF_8.name());
  }

  /**
   * A small but complete root filesystem: directories, files (one setuid, one owned by 1000),
   * absolute and relative symlinks, a hard link and a FIFO.
   */
  static byte[] rootfs() {
    return tar()
        .dir("./", 0755)
        .dir("bin/", 0755)
        .file("bin/busybox", "#!busybox\n", 04755, 0, 0)
        .symlink("bin/sh", "busybox")
        .hardlink("bin/ash", "bin/busybox")
        .dir("etc/", 0755)
        .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644, 0, 0)
        .symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
        .dir("home/", 0755)
        .dir("home/user/", 0700, 1000, 1000)
        .file("home/user/notes.txt", "hello\n", 0600, 1000, 1000)
        .dir("run/", 0755)
        .fifo("run/initctl", 0600)
        .dir("var/mail/", 02775)
        .build();
  }

  static byte[] gzip(byte[] tar) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(bytes)) {
      out.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static byte[] zstd(byte[] tar) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (OutputStream out = new ZstdOutputStream(bytes)) {
      out.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static final class Builder {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream out;

    private Builder(String encoding) {
      out = new TarArchiveOutputStream(bytes, encoding);
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    Builder dir(String name, int mode) {
      return dir(name, mode, 0, 0);
    }

    Builder dir(String name, int mode, long uid, long gid) {
      return put(entry(name, TarConstants.LF_DIR, mode, uid, gid), null);
    }

    Builder file(String name, String content) {
      return file(name, content, 0644, 0, 0);
    }

    Builder file(String name, String content, int mode, long uid, long gid) {
      return file(name, content.getBytes(StandardCharsets.UTF_8), mode, uid, gid);
    }

    Builder file(String name, byte[] content, int mode, long uid, long gid) {
      TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, mode, uid, gid);
      entry.setSize(content.length);
      return put(entry, content);
    }

    Builder symlink(String name, String target) {
      TarArchiveEntry entry = entry(name, TarConstants.LF_SYMLINK, 0777, 0, 0);
      entry.setLinkName(target);
      return put(entry, null);
    }

    Builder hardlink(String name, String target) {
      TarArchiveEntry entry = entry(name, TarConstants.LF_LINK, 0644, 0, 0);
      entry.setLinkName(target);
      return put(entry, null);
    }

    Builder fifo(String name, int mode) {
      return put(entry(name, TarConstants.LF_FIFO, mode, 0, 0), null);
    }

    Builder device(String name, byte type, int major, int minor) {
      TarArchiveEntry entry = entry(name, type, 0666, 0, 0);
      entry.setDevMajor(major);
      entry.setDevMinor(minor);
      return put(entry, null);
    }

    /** Any entry, written as it is (data may be null). */
    Builder put(TarArchiveEntry entry, byte[] data) {
      try {
        out.putArchiveEntry(entry);
        if (data != null) {
          out.write(data);
        }
        out.closeArchiveEntry();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    byte[] build() {
      try {
        out.finish();
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    static TarArchiveEntry entry(String name, byte type, int mode, long uid, long gid) {
      TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
      entry.setMode(mode);
      entry.setUserId(uid);
      entry.setGroupId(gid);
      entry.setUserName("");
      entry.setGroupName("");
      entry.setLastModifiedTime(MTIME);
      return entry;
    }
  }
}
