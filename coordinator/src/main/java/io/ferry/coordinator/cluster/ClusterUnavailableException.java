package io.ferry.coordinator.cluster;

/** The cluster (its ZooKeeper, through Helix) cannot be reached or set up in time. */
public final class ClusterUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ClusterUnavailableException(String message) {
    super(message);
  }

  public ClusterUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
