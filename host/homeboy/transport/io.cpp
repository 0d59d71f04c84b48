#include "homeboy/transport/io.hpp"

#include "homeboy/transport/interrupt.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <fcntl.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

namespace homeboy::io {

namespace {

namespace asio = boost::asio;

asio::io_context& this_thread_context() {
  thread_local asio::io_context context(1);
  return context;
}

// One descriptor, registered with the context for one wait and released (not closed) after.
// A descriptor epoll refuses (a regular file) completes its waits at once, as not supported:
// ready, as poll(2) says of it.
class Watched {
 public:
  Watched(asio::io_context& context, int fd) : descriptor_(context), flags_(::fcntl(fd, F_GETFL)) {
    boost::system::error_code ignored;
    descriptor_.assign(fd, ignored);  // a failure completes the waits below with an error: ready
  }
  ~Watched() {
    if (!descriptor_.is_open()) return;
    int fd = descriptor_.release();  // cancels what is pending; the fd stays open
    // Asio makes a descriptor non-blocking before it waits for it. The descriptor is the
    // caller's (standard input may be a terminal shared with the shell): it gets its mode back.
    if (flags_ >= 0 && !(flags_ & O_NONBLOCK)) ::fcntl(fd, F_SETFL, flags_);
  }
  Watched(const Watched&) = delete;
  Watched& operator=(const Watched&) = delete;

  int fd() { return descriptor_.native_handle(); }

  // `*ready` becomes true when the wait completes for any reason but its cancellation.
  void arm(Want want, bool* ready) {
    descriptor_.async_wait(want == Want::read ? asio::posix::descriptor_base::wait_read
                                              : asio::posix::descriptor_base::wait_write,
                           [ready](const boost::system::error_code& ec) {
                             if (ec != asio::error::operation_aborted) *ready = true;
                           });
  }

 private:
  asio::posix::stream_descriptor descriptor_;
  int flags_;  // the descriptor's status flags before the wait
};

}  // namespace

bool wait(std::span<Interest> interests, Clock::time_point deadline, Interruptible interruptible) {
  if (interruptible == Interruptible::yes) throw_if_interrupted();
  for (auto& interest : interests) interest.ready = false;
  asio::io_context& context = this_thread_context();
  context.restart();
  bool woken = false;
  auto any = [&] { return std::any_of(interests.begin(), interests.end(), [](const Interest& i) { return i.ready; }); };
  {
    // One registration per descriptor (epoll takes a descriptor once), a wait per interest.
    std::vector<std::unique_ptr<Watched>> watched;
    // However this block is left (a registration may throw half-way), the waits still pending
    // are cancelled and every handler runs here, while the flags it points to exist: none is
    // left for the next wait of this thread to run.
    struct Drain {
      asio::io_context& context;
      std::vector<std::unique_ptr<Watched>>& watched;
      ~Drain() {
        watched.clear();
        context.restart();
        context.run();
      }
    } drain{context, watched};
    watched.reserve(interests.size() + 1);
    auto watch = [&](int fd) -> Watched& {
      for (auto& w : watched)
        if (w->fd() == fd) return *w;
      return *watched.emplace_back(std::make_unique<Watched>(context, fd));
    };
    for (auto& interest : interests) watch(interest.fd).arm(interest.want, &interest.ready);
    int wake = interruptible == Interruptible::yes ? interrupt_fd() : -1;
    if (wake >= 0) watch(wake).arm(Want::read, &woken);
    while (!any() && !woken && Clock::now() < deadline)
      if (context.run_one_until(deadline) == 0) break;
  }
  if (interruptible == Interruptible::yes) throw_if_interrupted();
  return any();
}

void sleep_until(Clock::time_point deadline, Interruptible interruptible) {
  if (interruptible == Interruptible::no || interrupt_fd() < 0) {
    std::this_thread::sleep_until(deadline);
    return;
  }
  wait({}, deadline, interruptible);
}

}  // namespace homeboy::io
