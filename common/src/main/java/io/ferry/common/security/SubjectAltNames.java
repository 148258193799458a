package io.ferry.common.security;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.GeneralName;

/**
 * Turns the addresses a caller gives for a host certificate into subject alternative names: IP
 * literals (IPv4 dotted quads, IPv6 with {@code :}) become IP names, everything else must be a DNS
 * name (lower-case labels separated by dots, each a valid label). Never resolves anything.
 */
final class SubjectAltNames {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("(?=.*:)[0-9a-fA-F:.]{2,45}");
  private static final Pattern DNS =
      Pattern.compile("(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

  private SubjectAltNames() {}

  /**
   * @throws IllegalArgumentException naming the first address that is neither an IP literal nor
   *     a DNS name
   */
  static List<GeneralName> of(List<String> addresses) {
    List<GeneralName> names = new ArrayList<>();
    for (String address : addresses) {
      names.add(of(address));
    }
    return names;
  }

  private static GeneralName of(String address) {
    if (IPV4.matcher(address).matches()) {
      byte[] octets = new byte[4];
      String[] parts = address.split("\\.");
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(parts[i]);
        if (octet > 255) {
          throw new IllegalArgumentException("'" + address + "' is not an IPv4 address");
        }
        octets[i] = (byte) octet;
      }
      return new GeneralName(GeneralName.iPAddress, new DEROctetString(octets));
    }
    String literal = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
    if (IPV6.matcher(literal).matches()) {
      try {
        // Only hex digits, ':' and '.', with a ':': InetAddress parses it as a literal, never resolves.
        return new GeneralName(GeneralName.iPAddress, new DEROctetString(InetAddress.getByName(literal).getAddress()));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("'" + address + "' is not an IPv6 address", e);
      }
    }
    if (!DNS.matcher(address).matches()) {
      throw new IllegalArgumentException("'" + address + "' is neither an IP address nor a lower-case DNS name");
    }
    return new GeneralName(GeneralName.dNSName, address);
  }
}
