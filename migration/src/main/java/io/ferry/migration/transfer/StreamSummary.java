package io.ferry.migration.transfer;

/**
 * What the sender says a finished stream was: its total size and SHA-256 (lower-case hex). The
 * receiver compares it with what it actually received before using any of the bytes.
 */
public record StreamSummary(long size, String sha256) {}
