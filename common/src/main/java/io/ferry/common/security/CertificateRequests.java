package io.ferry.common.security;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * PKCS#10 certificate requests, the joining host's half of {@link JoinTokens}: the host makes its
 * own EC P-256 key, keeps the private half, and sends a request signed with it (proof that it
 * holds the key). The CA takes only the public key from a request; the name and addresses come
 * from the join, not from the request.
 */
public final class CertificateRequests {

  private CertificateRequests() {}

  /** A new EC P-256 key pair for a host. */
  public static KeyPair newKeyPair() {
    return CertificateAuthority.newKeyPair();
  }

  /** A PEM certificate request for {@code hostName}, signed with {@code keys}' private key. */
  public static String create(KeyPair keys, String hostName) {
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, Identity.host(hostName).name()).build();
    try {
      PKCS10CertificationRequest request =
          new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
      return Pem.certificateRequest(request);
    } catch (OperatorCreationException e) {
      throw new CredentialsException("cannot sign a certificate request: " + e.getMessage(), e);
    }
  }

  /**
   * The public key of a PEM request whose signature verifies with that key.
   *
   * @throws CredentialsException when the text is not one request, or its signature is invalid
   */
  public static PublicKey verifiedPublicKey(String requestPem) {
    PKCS10CertificationRequest request = Pem.readCertificateRequest(requestPem);
    try {
      PublicKey key = new JcaPKCS10CertificationRequest(request).getPublicKey();
      ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder().build(key);
      if (!request.isSignatureValid(verifier)) {
        throw new CredentialsException("the certificate request's signature does not verify with its own key");
      }
      return key;
    } catch (GeneralSecurityException | OperatorCreationException | PKCSException e) {
      throw new CredentialsException("malformed certificate request: " + e.getMessage(), e);
    }
  }
}
