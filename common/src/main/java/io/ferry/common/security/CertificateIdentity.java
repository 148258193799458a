package io.ferry.common.security;

import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;

/**
 * Where a Ferry certificate keeps its {@link Identity}, and how it is read back.
 *
 * <p><b>The name</b> is the subject's single common name ({@code CN=web-1}); host certificates
 * also carry it as a DNS subject alternative name, with the addresses the caller gave.
 *
 * <p><b>The role</b> is a URI subject alternative name {@code ferry:role:<role>} (for example
 * {@code ferry:role:admin}), and nothing else: not the subject, not an OU. A name is a DNS label
 * (no {@code :}), and the role lives in a different field of a different kind (a URI in an
 * extension, not a subject attribute), so no name can be read as a role or the reverse. A
 * certificate with no role URI, more than one, or an unknown role is not a Ferry identity.
 */
public final class CertificateIdentity {

  /** The prefix of the role URI: {@code ferry:role:}. */
  public static final String ROLE_URI_PREFIX = "ferry:role:";

  private static final int URI_NAME = GeneralName.uniformResourceIdentifier;

  private CertificateIdentity() {}

  /** The role URI for {@code role}: {@code ferry:role:admin}. */
  public static String roleUri(Role role) {
    return ROLE_URI_PREFIX + role.certificateName();
  }

  /**
   * The identity in {@code certificate}. Does not check the certificate's trust, dates or
   * revocation: that is the trust manager's job ({@link ClusterTrustManager}).
   *
   * @throws CredentialsException when the certificate has not exactly one common name, not
   *     exactly one role URI, an unknown role, or a name that is not a DNS label
   */
  public static Identity of(X509Certificate certificate) {
    String name = commonName(certificate);
    Role role = role(certificate);
    try {
      return new Identity(name, role);
    } catch (IllegalArgumentException e) {
      throw new CredentialsException("certificate names an invalid identity: " + e.getMessage(), e);
    }
  }

  private static String commonName(X509Certificate certificate) {
    X500Name subject;
    try {
      subject = new JcaX509CertificateHolder(certificate).getSubject();
    } catch (CertificateEncodingException e) {
      throw new CredentialsException("malformed certificate: " + e.getMessage(), e);
    }
    RDN[] names = subject.getRDNs(BCStyle.CN);
    if (names.length != 1 || names[0].isMultiValued()) {
      throw new CredentialsException("certificate subject must have exactly one CN, has " + names.length);
    }
    return IETFUtils.valueToString(names[0].getFirst().getValue());
  }

  private static Role role(X509Certificate certificate) {
    List<String> roles = new ArrayList<>();
    Collection<List<?>> alternativeNames;
    try {
      alternativeNames = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      throw new CredentialsException("malformed subject alternative names: " + e.getMessage(), e);
    }
    if (alternativeNames != null) {
      for (List<?> entry : alternativeNames) {
        if (((Integer) entry.get(0)) == URI_NAME && entry.get(1) instanceof String uri && uri.startsWith(ROLE_URI_PREFIX)) {
          roles.add(uri.substring(ROLE_URI_PREFIX.length()));
        }
      }
    }
    if (roles.size() != 1) {
      throw new CredentialsException("certificate must carry exactly one " + ROLE_URI_PREFIX + " URI, has " + roles.size());
    }
    try {
      return Role.fromCertificateName(roles.get(0));
    } catch (IllegalArgumentException e) {
      throw new CredentialsException("certificate names " + e.getMessage(), e);
    }
  }
}
