package io.ferry.coordinator.store;

/** ZooKeeper cannot be reached or refused an operation; the API maps it to UNAVAILABLE. */
public final class StoreUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message) {
    super(message);
  }

  public StoreUnavailableException(String message, Throwable cause) {
    super(message + ": " + cause.getMessage(), cause);
  }
}
