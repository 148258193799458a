package io.ferry.cli.commands;

import io.ferry.cli.testing.CliHarness;
import io.ferry.cli.testing.FakeCoordinator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What a test of cluster commands starts from: a {@link CliHarness} whose default environment
 * names {@link CliHarness#ADDRESS}, and a {@link FakeCoordinator} there, started before each test
 * (before the subclass's own {@code @BeforeEach}) and closed after it.
 */
abstract class ClusterCommandTest {

  final CliHarness cli = new CliHarness();
  FakeCoordinator coordinator;

  @BeforeEach
  void startCoordinator() throws Exception {
    coordinator = cli.start(CliHarness.ADDRESS);
  }

  @AfterEach
  void closeHarness() {
    cli.close();
  }
}
