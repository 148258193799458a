package io.ferry.common.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

  private final AccessPolicy policy =
      AccessPolicy.builder()
          .service("ferry.v1.Containers", Role.atLeast(Role.OPERATOR))
          .method("ferry.v1.Containers/ListContainers", Role.atLeast(Role.VIEWER))
          .service("ferry.v1.Migration", Set.of(Role.HOST))
          .build();

  @Test
  void aMethodEntryWinsOverItsService() {
    assertThat(policy.check("ferry.v1.Containers/ListContainers", Role.VIEWER)).isEqualTo(AccessPolicy.Verdict.ALLOWED);
    assertThat(policy.check("ferry.v1.Containers/DeleteContainer", Role.VIEWER)).isEqualTo(AccessPolicy.Verdict.ROLE_NOT_ALLOWED);
    assertThat(policy.check("ferry.v1.Containers/DeleteContainer", Role.OPERATOR)).isEqualTo(AccessPolicy.Verdict.ALLOWED);
  }

  @Test
  void unmappedMethodsAreDeniedToEveryone() {
    for (Role role : Role.values()) {
      assertThat(policy.check("ferry.v1.Hosts/RemoveHost", role)).isEqualTo(AccessPolicy.Verdict.NOT_IN_POLICY);
    }
  }

  @Test
  void hostServicesAreForHostsOnly() {
    assertThat(policy.check("ferry.v1.Migration/Receive", Role.HOST)).isEqualTo(AccessPolicy.Verdict.ALLOWED);
    assertThat(policy.check("ferry.v1.Migration/Receive", Role.ADMIN)).isEqualTo(AccessPolicy.Verdict.ROLE_NOT_ALLOWED);
  }

  @Test
  void rolesAreOrderedForClientsOnly() {
    assertThat(Role.atLeast(Role.VIEWER)).containsExactlyInAnyOrder(Role.ADMIN, Role.OPERATOR, Role.VIEWER);
    assertThat(Role.atLeast(Role.ADMIN)).containsExactly(Role.ADMIN);
    assertThatThrownBy(() -> Role.atLeast(Role.HOST)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsAreRecognisedByTheirVerb() {
    assertThat(AccessPolicy.isRead("ferry.v1.Hosts/GetHost")).isTrue();
    assertThat(AccessPolicy.isRead("ferry.v1.Events/Watch")).isTrue();
    assertThat(AccessPolicy.isRead("ferry.v1.Things/Getaway")).isFalse();
    assertThat(AccessPolicy.isRead("ferry.v1.Containers/StartContainer")).isFalse();
  }

  @Test
  void serviceByVerbSplitsReadsFromWrites() {
    AccessPolicy byVerb =
        AccessPolicy.builder()
            .serviceByVerb(ThingService.definition().getServiceDescriptor(), Role.atLeast(Role.VIEWER), Role.atLeast(Role.OPERATOR))
            .build();

    assertThat(byVerb.check(ThingService.GET.getFullMethodName(), Role.VIEWER)).isEqualTo(AccessPolicy.Verdict.ALLOWED);
    assertThat(byVerb.check(ThingService.DELETE.getFullMethodName(), Role.VIEWER)).isEqualTo(AccessPolicy.Verdict.ROLE_NOT_ALLOWED);
  }

  @Test
  void aPolicyCannotNameAnEntryTwiceOrGrantNobody() {
    assertThatThrownBy(() -> AccessPolicy.builder().service("a.B", Set.of(Role.ADMIN)).service("a.B", Set.of(Role.VIEWER)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AccessPolicy.builder().method("a.B/C", Set.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AccessPolicy.builder().method("a.B", Set.of(Role.ADMIN))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRoleNameInACertificateMustMatchExactly() {
    assertThat(Role.fromCertificateName("admin")).isEqualTo(Role.ADMIN);
    assertThatThrownBy(() -> Role.fromCertificateName("ADMIN")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Role.fromCertificateName("root")).isInstanceOf(IllegalArgumentException.class);
  }
}
