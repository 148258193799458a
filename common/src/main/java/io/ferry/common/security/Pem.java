package io.ferry.common.security;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * PEM text for certificates, keys and certificate requests. Keys are written as PKCS#8
 * ({@code PRIVATE KEY}); both PKCS#8 and OpenSSL's {@code EC PRIVATE KEY} are read.
 *
 * <p>Uses the JDK's default security providers (BouncyCastle only parses and encodes); nothing is
 * registered globally. Malformed text fails with {@link CredentialsException} naming what was
 * expected.
 */
public final class Pem {

  private Pem() {}

  /** PEM of {@code certificates}, in order. */
  public static String certificates(List<X509Certificate> certificates) {
    StringWriter text = new StringWriter();
    try (PemWriter writer = new PemWriter(text)) {
      for (X509Certificate certificate : certificates) {
        writer.writeObject(new PemObject("CERTIFICATE", certificate.getEncoded()));
      }
    } catch (IOException | CertificateEncodingException e) {
      throw new CredentialsException("cannot encode a certificate: " + e.getMessage(), e);
    }
    return text.toString();
  }

  /** PKCS#8 PEM of {@code key}. */
  public static String privateKey(PrivateKey key) {
    return object("PRIVATE KEY", key.getEncoded());
  }

  /** PEM ({@code PUBLIC KEY}) of {@code key}. */
  public static String publicKey(PublicKey key) {
    return object("PUBLIC KEY", key.getEncoded());
  }

  /** PEM of a PKCS#10 certificate request. */
  public static String certificateRequest(PKCS10CertificationRequest request) {
    try {
      return object("CERTIFICATE REQUEST", request.getEncoded());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every certificate in {@code pem}, in order.
   *
   * @throws CredentialsException when the text holds anything else, or no certificate
   */
  public static List<X509Certificate> readCertificates(String pem) {
    List<X509Certificate> certificates = new ArrayList<>();
    JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
    for (Object object : objects(pem)) {
      if (!(object instanceof X509CertificateHolder holder)) {
        throw new CredentialsException("expected only certificates, found " + object.getClass().getSimpleName());
      }
      try {
        certificates.add(converter.getCertificate(holder));
      } catch (CertificateException e) {
        throw new CredentialsException("malformed certificate: " + e.getMessage(), e);
      }
    }
    if (certificates.isEmpty()) {
      throw new CredentialsException("no certificate in PEM text");
    }
    return certificates;
  }

  /**
   * The one private key in {@code pem}.
   *
   * @throws CredentialsException when the text does not hold exactly one private key
   */
  public static PrivateKey readPrivateKey(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1) {
      throw new CredentialsException("expected one private key, found " + objects.size() + " PEM objects");
    }
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try {
      if (objects.get(0) instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (objects.get(0) instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
    } catch (IOException e) {
      throw new CredentialsException("malformed private key: " + e.getMessage(), e);
    }
    throw new CredentialsException("expected a private key, found " + objects.get(0).getClass().getSimpleName());
  }

  /**
   * The one public key in {@code pem} ({@code PUBLIC KEY}).
   *
   * @throws CredentialsException when the text does not hold exactly one public key
   */
  public static PublicKey readPublicKey(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1 || !(objects.get(0) instanceof SubjectPublicKeyInfo info)) {
      throw new CredentialsException("expected one public key");
    }
    try {
      return new JcaPEMKeyConverter().getPublicKey(info);
    } catch (IOException e) {
      throw new CredentialsException("malformed public key: " + e.getMessage(), e);
    }
  }

  /**
   * The one PKCS#10 certificate request in {@code pem}. Its signature is not checked here.
   *
   * @throws CredentialsException when the text does not hold exactly one request
   */
  public static PKCS10CertificationRequest readCertificateRequest(String pem) {
    List<Object> objects = objects(pem);
    if (objects.size() != 1 || !(objects.get(0) instanceof PKCS10CertificationRequest request)) {
      throw new CredentialsException("expected one certificate request");
    }
    return request;
  }

  private static String object(String type, byte[] der) {
    StringWriter text = new StringWriter();
    try (PemWriter writer = new PemWriter(text)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  private static List<Object> objects(String pem) {
    List<Object> objects = new ArrayList<>();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        objects.add(object);
      }
    } catch (IOException | RuntimeException e) {
      throw new CredentialsException("malformed PEM: " + e.getMessage(), e);
    }
    return objects;
  }
}
