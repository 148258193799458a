package io.ferry.migration.transfer;

import com.google.protobuf.UnsafeByteOperations;
import io.ferry.proto.v1.TunnelFrame;
import io.grpc.stub.CallStreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection carried over a {@code Tunnel} stream, either end: bytes read from the local
 * socket go out as data frames (only when the stream is ready: flow control), data frames from the
 * peer are written to the socket. End of input on either side is passed on as an {@code end}
 * frame and a half-close of the socket, so a protocol that relies on shutdown (CRIU's page server
 * and lazy-pages daemon) sees it. {@link #done()} completes when both directions ended, or
 * exceptionally when the stream or the socket failed.
 *
 * <p>Threading: {@link #start()} starts one reader thread (named {@code tunnel-<id>}); {@link
 * #fromPeer} is called by gRPC, serially. The outgoing observer is only touched under {@code this}.
 */
public final class SocketPump {

  private static final Logger log = LoggerFactory.getLogger(SocketPump.class);
  /** The largest data frame: what one read gathers, as far as the socket has it ready. */
  private static final int FRAME = 1 << 20;

  /**
   * How many bytes may wait in the transport before {@code isReady} turns false: several frames, so
   * the reader keeps reading while gRPC writes (with the default of 32 KiB every frame waited for
   * the previous one to leave, and the stream ran at a third of the transport's rate).
   */
  public static final int IN_FLIGHT_BYTES = 8 << 20;

  private final String name;
  private final CompletableFuture<Socket> connection;
  private volatile Socket socket;
  private final CallStreamObserver<TunnelFrame> out;
  private final boolean clientSide;
  private final LongConsumer sentBytes;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private boolean localEnded;
  private boolean peerEnded;
  private boolean closedOut;

  /**
   * @param out the outgoing side of the stream; its on-ready handler must call {@link #wake()}
   * @param clientSide true on the end that opened the stream: it half-closes the stream after its
   *     last frame; the server end completes the call once both directions ended
   * @param sentBytes told about every data frame sent
   */
  public SocketPump(String name, Socket socket, CallStreamObserver<TunnelFrame> out, boolean clientSide, LongConsumer sentBytes) {
    this(name, CompletableFuture.completedFuture(socket), out, clientSide, sentBytes);
  }

  /**
   * A pump whose local connection comes later (CRIU connects once its dump starts): the stream
   * is open meanwhile, and nothing is read or written until the connection is there.
   */
  public SocketPump(
      String name, CompletableFuture<Socket> connection, CallStreamObserver<TunnelFrame> out, boolean clientSide,
      LongConsumer sentBytes) {
    this.name = name;
    this.connection = connection;
    this.socket = connection.getNow(null);
    this.out = out;
    this.clientSide = clientSide;
    this.sentBytes = sentBytes;
  }

  public CompletableFuture<Void> done() {
    return done;
  }

  public void start() {
    Thread reader = new Thread(this::readLoop, "tunnel-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** A frame from the peer. */
  public void fromPeer(TunnelFrame frame) {
    try {
      Socket socket = connected();
      switch (frame.getPayloadCase()) {
        case DATA -> {
          OutputStream os = socket.getOutputStream();
          frame.getData().writeTo(os);
          os.flush();
        }
        case END -> {
          socket.shutdownOutput();
          synchronized (this) {
            peerEnded = true;
            finishIfDone();
          }
        }
        default -> log.warn("tunnel {}: unexpected frame {}", name, frame.getPayloadCase());
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  /** The peer's stream ended: without an end frame first, that is a failure. */
  public void peerClosed(Throwable error) {
    synchronized (this) {
      if (error == null) {
        peerEnded = true;
        finishIfDone();
        return;
      }
    }
    fail(error);
  }

  /** Wakes the reader when the stream became ready; pass it to {@code setOnReadyHandler}. */
  public synchronized void wake() {
    notifyAll();
  }

  /** Closes the socket and fails the stream if it is still open. */
  public void close(Throwable why) {
    fail(why == null ? new IOException("closed") : why);
  }

  private void readLoop() {
    byte[] buffer = new byte[FRAME];
    // Not try-with-resources: closing a socket's input stream closes the socket, and the other
    // direction may still be carrying data after this one ended.
    try {
      InputStream in = connected().getInputStream();
      while (true) {
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        // Gather what else is there already: fewer, larger frames.
        while (n < buffer.length && in.available() > 0) {
          int more = in.read(buffer, n, Math.min(buffer.length - n, in.available()));
          if (more <= 0) {
            break;
          }
          n += more;
        }
        synchronized (this) {
          while (!out.isReady() && !done.isDone()) {
            wait(TimeUnit.MILLISECONDS.toMillis(200));
          }
          if (done.isDone()) {
            return;
          }
          // The frame keeps its bytes for as long as gRPC may (a transparent retry replays it): a
          // large one takes the buffer itself, and the next read gets a new one; a small one (the
          // lazy pages' requests and single pages) is copied out rather than holding 1 MiB.
          byte[] data;
          if (n >= buffer.length / 2) {
            data = buffer;
            buffer = new byte[FRAME];
          } else {
            data = Arrays.copyOf(buffer, n);
          }
          out.onNext(TunnelFrame.newBuilder().setData(UnsafeByteOperations.unsafeWrap(data, 0, n)).build());
        }
        sentBytes.accept(n);
      }
      synchronized (this) {
        if (done.isDone()) {
          return;
        }
        out.onNext(TunnelFrame.newBuilder().setEnd(true).build());
        localEnded = true;
        if (clientSide) {
          closedOut = true;
          out.onCompleted();
        }
        finishIfDone();
      }
    } catch (IOException e) {
      fail(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail(e);
    }
  }

  private void finishIfDone() {
    if (localEnded && peerEnded && !done.isDone()) {
      if (!clientSide && !closedOut) {
        closedOut = true;
        out.onCompleted();
      }
      closeSocket();
      done.complete(null);
    }
  }

  private void fail(Throwable error) {
    synchronized (this) {
      if (done.isDone()) {
        return;
      }
      log.info("tunnel {} failed: {}", name, error.toString());
      if (!closedOut) {
        closedOut = true;
        try {
          out.onError(io.grpc.Status.CANCELLED.withDescription("tunnel " + name + ": " + error.getMessage()).asRuntimeException());
        } catch (RuntimeException e) {
          // the call is already over
        }
      }
      closeSocket();
      done.completeExceptionally(error);
      notifyAll();
    }
  }

  /** The local connection, waiting for it if it is still to come. */
  private Socket connected() throws IOException {
    Socket s = socket;
    if (s != null) {
      return s;
    }
    try {
      s = connection.get();
      socket = s;
      return s;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("tunnel " + name + ": no local connection: " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.CancellationException e) {
      throw new IOException("tunnel " + name + ": closed before its local connection came");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("tunnel " + name + ": interrupted while waiting for the local connection");
    }
  }

  private void closeSocket() {
    connection.cancel(false);
    Socket socket = connection.getNow(null);
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("tunnel {}: closing the socket: {}", name, e.getMessage());
    }
  }
}
