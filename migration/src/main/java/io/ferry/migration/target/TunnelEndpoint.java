package io.ferry.migration.target;

import io.ferry.migration.protocol.MigrationException;
import io.ferry.migration.transfer.SocketPump;
import io.ferry.proto.v1.TunnelFrame;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The target's end of one tunnel: a listening socket on a free loopback port (never reachable from
 * another host) that accepts one local connection, then pumps it through the tunnel's stream.
 * Frames that arrive before the connection are held and delivered once it exists.
 */
final class TunnelEndpoint {

  private static final Logger log = LoggerFactory.getLogger(TunnelEndpoint.class);

  private final String name;
  private final ServerSocket listener;
  private final ServerCallStreamObserver<TunnelFrame> out;
  private final List<TunnelFrame> early = new ArrayList<>();
  private SocketPump pump;
  private boolean peerDone;
  private Throwable peerError;
  private boolean closed;

  private TunnelEndpoint(String name, ServerSocket listener, ServerCallStreamObserver<TunnelFrame> out) {
    this.name = name;
    this.listener = listener;
    this.out = out;
  }

  static TunnelEndpoint listen(String name, ServerCallStreamObserver<TunnelFrame> out, Duration acceptTimeout) {
    ServerSocket listener;
    try {
      listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      listener.setSoTimeout((int) Math.min(Integer.MAX_VALUE, acceptTimeout.toMillis()));
    } catch (IOException e) {
      throw MigrationException.internal("cannot listen on loopback for tunnel " + name + ": " + e.getMessage(), e);
    }
    TunnelEndpoint endpoint = new TunnelEndpoint(name, listener, out);
    Thread acceptor = new Thread(endpoint::accept, "tunnel-accept-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
    log.info("tunnel {} listening on 127.0.0.1:{}", name, listener.getLocalPort());
    return endpoint;
  }

  /** An endpoint whose local connection exists already (the target dialled its own page server). */
  static TunnelEndpoint connected(String name, ServerCallStreamObserver<TunnelFrame> out, Socket socket) {
    ServerSocket none;
    try {
      none = new ServerSocket();
    } catch (IOException e) {
      throw MigrationException.internal("cannot make a socket: " + e.getMessage(), e);
    }
    TunnelEndpoint endpoint = new TunnelEndpoint(name, none, out);
    synchronized (endpoint) {
      endpoint.closeListener();
      endpoint.pump = new SocketPump(name, socket, out, false, n -> {});
      endpoint.pump.start();
    }
    return endpoint;
  }

  int port() {
    return listener.getLocalPort();
  }

  synchronized void wake() {
    if (pump != null) {
      pump.wake();
    }
  }

  synchronized void fromPeer(TunnelFrame frame) {
    if (pump == null) {
      early.add(frame);
    } else {
      pump.fromPeer(frame);
    }
  }

  synchronized void peerClosed(Throwable error) {
    if (pump == null) {
      peerDone = true;
      peerError = error;
      if (error != null) {
        close();
      }
    } else {
      pump.peerClosed(error);
    }
  }

  synchronized void close() {
    closed = true;
    closeListener();
    if (pump != null) {
      pump.close(new IOException("tunnel " + name + " closed"));
    }
  }

  private void accept() {
    Socket socket;
    try {
      socket = listener.accept();
    } catch (IOException e) {
      synchronized (this) {
        if (!closed) {
          log.warn("tunnel {}: no local connection: {}", name, e.getMessage());
          try {
            out.onError(io.grpc.Status.DEADLINE_EXCEEDED.withDescription("tunnel " + name + ": nobody connected").asRuntimeException());
          } catch (RuntimeException ignored) {
            // the call already ended
          }
        }
      }
      return;
    } finally {
      closeListener();
    }
    synchronized (this) {
      if (closed) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing anyway
        }
        return;
      }
      pump = new SocketPump(name, socket, out, false, n -> {});
      pump.start();
      early.forEach(pump::fromPeer);
      early.clear();
      if (peerDone) {
        pump.peerClosed(peerError);
      }
    }
  }

  private void closeListener() {
    try {
      listener.close();
    } catch (IOException e) {
      log.debug("tunnel {}: {}", name, e.getMessage());
    }
  }
}
