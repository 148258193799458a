package io.ferry.bench;

import io.ferry.agent.AgentServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The transfer baseline of the migration benchmark: one plain client-streaming gRPC call carrying
 * 1 MiB chunks from one simulated host to the other, with the same HTTP/2 flow-control window as
 * the agents' migration streams and the sender respecting flow control ({@code isReady}). No file,
 * no digest, no tar: what the transport alone can do between the two namespaces.
 *
 * <p>Run as its own JVM inside a host's namespace: {@code sink PORT} serves until killed and prints
 * {@code ready} once listening; {@code send HOST:PORT MIB} sends and prints the rate in bytes/s.
 */
public final class GrpcStreamProbe {

  private static final int CHUNK = 1 << 20;

  private static final MethodDescriptor<byte[], byte[]> SINK = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
      .setFullMethodName("ferry.bench.Sink/Take")
      .setRequestMarshaller(new Bytes())
      .setResponseMarshaller(new Bytes())
      .build();

  private GrpcStreamProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("sink")) {
      sink(Integer.parseInt(args[1]));
    } else if (args.length == 3 && args[0].equals("send")) {
      System.out.println(send(args[1], Long.parseLong(args[2])));
    } else {
      System.err.println("usage: GrpcStreamProbe sink PORT | send HOST:PORT MIB");
      System.exit(2);
    }
  }

  private static void sink(int port) throws Exception {
    AtomicLong received = new AtomicLong();
    ServerServiceDefinition service = ServerServiceDefinition.builder("ferry.bench.Sink")
        .addMethod(SINK, ServerCalls.asyncClientStreamingCall((StreamObserver<byte[]> response) -> new StreamObserver<byte[]>() {
          @Override
          public void onNext(byte[] chunk) {
            received.addAndGet(chunk.length);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            response.onNext(Long.toString(received.getAndSet(0)).getBytes());
            response.onCompleted();
          }
        }))
        .build();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(port))
        .flowControlWindow(AgentServer.FLOW_CONTROL_WINDOW_BYTES).maxInboundMessageSize(2 * CHUNK)
        .addService(service).build().start();
    System.out.println("ready");
    System.out.flush();
    server.awaitTermination();
  }

  /** Sends {@code mib} MiB and returns the rate in bytes per second. */
  private static long send(String target, long mib) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forTarget(target).usePlaintext()
        .flowControlWindow(AgentServer.FLOW_CONTROL_WINDOW_BYTES).build();
    byte[] chunk = new byte[CHUNK];
    ThreadLocalRandom.current().nextBytes(chunk);
    CompletableFuture<Long> done = new CompletableFuture<>();
    long started = System.nanoTime();
    ClientCalls.asyncClientStreamingCall(channel.newCall(SINK, CallOptions.DEFAULT), new ClientResponseObserver<byte[], byte[]>() {
      private long sent;

      @Override
      public void beforeStart(ClientCallStreamObserver<byte[]> requests) {
        requests.setOnReadyHandler(() -> {
          while (requests.isReady() && sent < mib) {
            requests.onNext(chunk);
            sent++;
          }
          if (sent == mib) {
            sent++;
            requests.onCompleted();
          }
        });
      }

      @Override
      public void onNext(byte[] value) {
        done.complete(Long.parseLong(new String(value)));
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    long received = done.get(10, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - started) / 1e9;
    channel.shutdownNow();
    if (received != mib * CHUNK) {
      throw new IllegalStateException("the sink got " + received + " bytes of " + mib * CHUNK);
    }
    return (long) (received / seconds);
  }

  /** Runs a sink in {@code to}'s namespace and a sender in {@code from}'s; returns bytes/s. */
  static long measure(TwoHosts.Host from, TwoHosts.Host to, java.nio.file.Path jar, long mib) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    int port = 7790;
    Process sink = new ProcessBuilder(to.inNetns(List.of(java, "-Xmx512m", "-cp", jar.toString(),
        GrpcStreamProbe.class.getName(), "sink", Integer.toString(port))))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      byte[] ready = sink.getInputStream().readNBytes(5);
      if (!new String(ready).equals("ready")) {
        throw new IllegalStateException("the gRPC sink did not start");
      }
      Process sender = new ProcessBuilder(from.inNetns(List.of(java, "-Xmx512m", "-cp", jar.toString(),
          GrpcStreamProbe.class.getName(), "send", to.ip + ":" + port, Long.toString(mib))))
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(sender.getInputStream().readAllBytes()).strip();
      if (!sender.waitFor(10, TimeUnit.MINUTES) || sender.exitValue() != 0) {
        throw new IllegalStateException("the gRPC sender failed: " + out);
      }
      return Long.parseLong(out);
    } finally {
      sink.destroyForcibly();
    }
  }

  private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
