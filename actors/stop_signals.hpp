#pragma once

// How both processes stop: SIGINT and SIGTERM are blocked in the main thread
// before any other thread starts (every thread inherits the mask), and the
// main thread waits for one of them with sigwait. No handler runs
// asynchronously, so shutdown is ordinary code.
//
// Usage: construct first thing in main (before the actor system and any
// library thread), then call wait() when everything runs.

#include <csignal>
#include <pthread.h>

namespace fabric::actors {

class stop_signals {
public:
  stop_signals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }

  /// Blocks until SIGINT or SIGTERM arrives; returns its number.
  int wait() {
    int sig = 0;
    sigwait(&set_, &sig);
    return sig;
  }

private:
  sigset_t set_;
};

} // namespace fabric::actors
