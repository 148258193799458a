package io.ferry.migration.transfer;

/**
 * A stream cannot be accepted: a gap or overlap between chunks, more bytes than allowed, or a size
 * or digest that differs from the sender's summary. The receiver discards everything it got.
 */
public final class TransferException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a stream was refused; lets callers map to a gRPC status without parsing messages. */
  public enum Reason {
    OUT_OF_ORDER,
    TOO_LARGE,
    SIZE_MISMATCH,
    DIGEST_MISMATCH,
    IO
  }

  private final Reason reason;

  public TransferException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public TransferException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
