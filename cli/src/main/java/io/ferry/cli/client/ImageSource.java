package io.ferry.cli.client;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where an image upload reads from: an archive file, or a root filesystem directory that GNU tar
 * streams (numeric owners, names sorted, so the same tree gives the same digest; nothing is
 * written to disk). A source can be opened again, so an upload cut off by a coordinator that
 * died can start over on the next one.
 */
public sealed interface ImageSource permits ImageSource.ArchiveFile, ImageSource.Directory {

  /** A directory is sent as a tar stream, anything else as the archive it is. */
  static ImageSource of(Path path) {
    return Files.isDirectory(path) ? new Directory(path) : new ArchiveFile(path);
  }

  /** Recorded with the image as its source, e.g. the file name; a directory ends with {@code /}. */
  String name();

  /** Bytes to send, or 0 when unknown until sent (a directory). */
  long size() throws IOException;

  /** A fresh stream from the start. */
  Reader open() throws IOException;

  /** An opened source: read {@link #in()}, then {@link #verify()} that it was read whole. */
  interface Reader extends AutoCloseable {
    InputStream in();

    /** Throws when what produced the stream failed (tar's exit code). */
    void verify() throws IOException, InterruptedException;

    @Override
    void close() throws IOException;
  }

  record ArchiveFile(Path path) implements ImageSource {
    @Override
    public String name() {
      return path.getFileName().toString();
    }

    @Override
    public long size() throws IOException {
      return Files.size(path);
    }

    @Override
    public Reader open() throws IOException {
      InputStream in = Files.newInputStream(path);
      return new Reader() {
        @Override
        public InputStream in() {
          return in;
        }

        @Override
        public void verify() {}

        @Override
        public void close() throws IOException {
          in.close();
        }
      };
    }
  }

  record Directory(Path path) implements ImageSource {
    @Override
    public String name() {
      return path.getFileName() + "/";
    }

    @Override
    public long size() {
      return 0;
    }

    @Override
    public Reader open() throws IOException {
      Process tar = new ProcessBuilder("tar", "-C", path.toString(), "--numeric-owner", "--sort=name", "-cf", "-", ".")
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .start();
      return new Reader() {
        @Override
        public InputStream in() {
          return tar.getInputStream();
        }

        @Override
        public void verify() throws IOException, InterruptedException {
          if (tar.waitFor() != 0) {
            throw new IOException("tar of " + path + " exited " + tar.exitValue());
          }
        }

        @Override
        public void close() throws IOException {
          try {
            tar.getInputStream().close();
          } finally {
            tar.destroyForcibly();
          }
        }
      };
    }
  }
}
