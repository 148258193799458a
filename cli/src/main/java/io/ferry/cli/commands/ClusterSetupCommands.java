package io.ferry.cli.commands;

import io.ferry.common.Names;
import io.ferry.common.security.CertificateAuthority;
import io.ferry.common.security.CertificateValidity;
import io.ferry.common.security.CredentialsException;
import io.ferry.common.security.Identity;
import io.ferry.common.security.IssuedCertificate;
import io.ferry.common.security.Role;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ferry cluster ...}: local set-up of a cluster's security material. Nothing here talks to
 * a server.
 */
@Command(name = "cluster", description = "Set up a cluster's certificate authority (local, no server).", subcommands = ClusterSetupCommands.Init.class)
public final class ClusterSetupCommands {

  /** Where the first admin's certificate and key go, under the CA directory. */
  static final String CLIENTS_DIRECTORY = "clients";

  /**
   * {@code ferry cluster init --dir DIR [--admin-name NAME]}: creates the cluster CA in DIR and the
   * first admin client certificate in DIR/clients/NAME.crt and NAME.key (mode 0600). Exit 0 with
   * the paths on stdout; 1 when DIR already holds a CA (left untouched) or a file cannot be
   * written; 2 for bad usage (an admin name that is not a DNS label).
   */
  @Command(name = "init", description = "Create the cluster CA in DIR and the first admin's client certificate.")
  static final class Init implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "directory for the CA (created with mode 0700; must not hold a CA)")
    Path directory;

    @Option(names = "--admin-name", paramLabel = "NAME", defaultValue = "admin", description = "the first admin's user name (default: ${DEFAULT-VALUE})")
    String adminName;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String problem = Names.problem("admin", adminName);
      if (problem != null) {
        throw new ParameterException(spec.commandLine(), problem);
      }
      if (CertificateAuthority.existsIn(directory)) {
        err.println("Error: " + directory + " already holds a Ferry CA; refusing to overwrite it");
        return 1;
      }
      try {
        CertificateAuthority authority = CertificateAuthority.create(directory, CertificateValidity.DEFAULTS, Clock.systemUTC());
        Path clients = directory.resolve(CLIENTS_DIRECTORY);
        if (!Files.isDirectory(clients)) {
          Files.createDirectory(clients, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        IssuedCertificate admin = authority.issueClient(new Identity(adminName, Role.ADMIN));
        Path certificate = clients.resolve(adminName + ".crt");
        Path key = clients.resolve(adminName + ".key");
        admin.writeTo(certificate, key);
        out.println("Created the cluster CA:");
        out.println("  certificate  " + directory.resolve(CertificateAuthority.CERTIFICATE_FILE));
        out.println("  key          " + directory.resolve(CertificateAuthority.KEY_FILE) + " (mode 0600: keep it on the coordinators only)");
        out.println("  fingerprint  sha256:" + authority.fingerprint());
        out.println("Admin client certificate for " + adminName + " (role admin, until " + admin.notAfter() + "):");
        out.println("  certificate  " + certificate);
        out.println("  key          " + key + " (mode 0600)");
        out.flush();
        return 0;
      } catch (IOException | CredentialsException e) {
        err.println("Error: cannot initialise the cluster in " + directory + ": " + e.getMessage());
        return 1;
      }
    }
  }
}
