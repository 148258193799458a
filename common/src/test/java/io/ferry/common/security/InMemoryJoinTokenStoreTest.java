package io.ferry.common.security;

class InMemoryJoinTokenStoreTest extends JoinTokenStoreContract {

  @Override
  JoinTokenStore store() {
    return new InMemoryJoinTokenStore();
  }
}
