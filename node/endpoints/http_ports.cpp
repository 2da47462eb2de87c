#include "node/endpoints/http_ports.hpp"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace fabric::node {

namespace {

const char* method_name(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
  }
  return "UNKNOWN";
}

} // namespace

struct http_ports::impl {
  struct port_entry {
    evhttp* http = nullptr;
    http_handler handler;
  };

  event_base* base = nullptr;
  std::size_t max_body_bytes;
  std::map<int, port_entry> ports; // touched on the loop thread only
  std::thread loop;
  mutable std::mutex mtx;
  std::size_t count = 0; // guarded by mtx, mirrors ports.size()

  explicit impl(std::size_t max_body) : max_body_bytes(max_body) {
    static std::once_flag threads_once;
    std::call_once(threads_once, [] { evthread_use_pthreads(); });
    base = event_base_new();
    loop = std::thread([this] { event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); });
  }

  ~impl() {
    run_on_loop([this] {
      for (auto& [port, entry] : ports)
        evhttp_free(entry.http);
      ports.clear();
      event_base_loopbreak(base);
    });
    loop.join();
    event_base_free(base);
  }

  // Runs `fn` on the loop thread and waits for it.
  void run_on_loop(std::function<void()> fn) {
    struct task {
      std::function<void()> fn;
      std::mutex m;
      std::condition_variable cv;
      bool done = false;
    } t{std::move(fn), {}, {}, false};
    auto cb = [](evutil_socket_t, short, void* arg) {
      auto* t = static_cast<task*>(arg);
      t->fn();
      std::lock_guard<std::mutex> guard{t->m};
      t->done = true;
      t->cv.notify_one();
    };
    timeval zero{0, 0};
    event_base_once(base, -1, EV_TIMEOUT, cb, &t, &zero);
    std::unique_lock<std::mutex> guard{t.m};
    t.cv.wait(guard, [&] { return t.done; });
  }

  static void on_request(evhttp_request* req, void* arg) {
    auto* entry = static_cast<port_entry*>(arg);
    http_request r;
    r.method = method_name(evhttp_request_get_command(req));
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    if (const char* p = evhttp_uri_get_path(uri)) {
      char* decoded = evhttp_uridecode(p, 0, nullptr);
      r.path = decoded ? decoded : p;
      free(decoded);
    }
    if (const char* q = evhttp_uri_get_query(uri))
      r.query = q;
    evbuffer* in = evhttp_request_get_input_buffer(req);
    auto len = evbuffer_get_length(in);
    r.body.resize(len);
    if (len > 0)
      evbuffer_copyout(in, r.body.data(), len);
    http_response resp;
    try {
      resp = entry->handler(r);
    } catch (...) {
      resp = {500, std::string{"{\"error\":\"internal error\"}"}, "application/json"};
    }
    evkeyvalq* headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", resp.content_type.c_str());
    evbuffer* out = evbuffer_new();
    evbuffer_add(out, resp.body.data(), resp.body.size());
    evhttp_send_reply(req, resp.status, nullptr, out);
    evbuffer_free(out);
  }
};

http_ports::http_ports(std::size_t max_body_bytes)
  : impl_(std::make_unique<impl>(max_body_bytes)) {
  // nop
}

http_ports::~http_ports() = default;

result<int> http_ports::open(const std::string& host, int port, http_handler handler) {
  result<int> out = error{"not run"};
  impl_->run_on_loop([&] {
    evhttp* http = evhttp_new(impl_->base);
    evhttp_set_max_body_size(http, impl_->max_body_bytes);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE
                                       | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD);
    evhttp_bound_socket* sock = evhttp_bind_socket_with_handle(http, host.c_str(), port);
    if (sock == nullptr) {
      evhttp_free(http);
      out = error{"cannot listen on " + host + ":" + std::to_string(port)
                  + " (address in use or not available)"};
      return;
    }
    sockaddr_storage addr{};
    socklen_t addr_len = sizeof(addr);
    getsockname(evhttp_bound_socket_get_fd(sock), reinterpret_cast<sockaddr*>(&addr), &addr_len);
    int bound = addr.ss_family == AF_INET6
                  ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                  : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    auto& entry = impl_->ports[bound];
    entry.http = http;
    entry.handler = std::move(handler);
    evhttp_set_gencb(http, &impl::on_request, &entry);
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->count = impl_->ports.size();
    out = bound;
  });
  return out;
}

void http_ports::close(int port) {
  impl_->run_on_loop([&] {
    auto i = impl_->ports.find(port);
    if (i == impl_->ports.end())
      return;
    evhttp_free(i->second.http);
    impl_->ports.erase(i);
    std::lock_guard<std::mutex> guard{impl_->mtx};
    impl_->count = impl_->ports.size();
  });
}

std::size_t http_ports::port_count() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->count;
}

} // namespace fabric::node
