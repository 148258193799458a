package io.ferry.common.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves {@code GET /metrics} (Prometheus text format) on its own port, with one named thread,
 * for the agent and the coordinator alike. Lifecycle: {@link #start()} once, {@link #close()}
 * once.
 */
public final class MetricsHttpServer implements AutoCloseable {

  private final HttpServer server;

  /** @param scrape the exposition text, produced on every request */
  public MetricsHttpServer(String address, int port, Supplier<String> scrape) throws IOException {
    server = HttpServer.create(new InetSocketAddress(address, port), 16);
    server.setExecutor(Executors.newSingleThreadExecutor(r -> new Thread(r, "metrics-http")));
    server.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
              exchange.sendResponseHeaders(405, -1);
              return;
            }
            byte[] body = scrape.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
  }

  public MetricsHttpServer start() {
    server.start();
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
