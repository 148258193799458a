package io.ferry.migration.transfer;

/**
 * What the sender says a finished stream was: its total size and checksum (lower-case hex; SHA-256
 * unless the stream's header names another, see {@link StreamChecksum}). The receiver compares it
 * with what it actually received before using any of the bytes.
 */
public record StreamSummary(long size, String checksum) {}
