#include "net/http_client.hpp"
#include "net/connection_policy.hpp"
#include "net/http_common.hpp"
#include "net/straggler_watch.hpp"
#include "net/tls_direct_write.hpp"
#include "coro/wait_group.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace s3up::http {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using detail::kWriteChunk;

struct Connection {
  Target target;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;  // when it went back to the pool
  bool used = false;             // carried an exchange (else opened ahead: open_ahead)
  const SSL_SESSION* session_kept = nullptr;  // the last of its TLS sessions kept for others
  std::shared_ptr<detail::OpenGauge> live;  // the client's count of open connections

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (live) live->closed();
  }

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

// A request's claim on the next connection opened ahead (detail::AheadOpenings): shared by the
// request waiting and the opening that hands it over.
struct Claim {
  Claim() { handed.add(1); }
  coro::WaitGroup handed;            // done() once the opening ended
  std::unique_ptr<Connection> conn;  // nullptr: that opening failed or was cancelled
  std::size_t lane = 0;              // the lane it belongs to
};

// Sets the stream's deadline for the next operation: the idle timeout, capped by the deadline
// of the whole request when there is one.
void arm(beast::tcp_stream& s, const Timeouts& t, std::optional<Clock::time_point> deadline) {
  s.expires_at(detail::wait_until(t.idle, deadline));
}

template <class Stream>
asio::awaitable<error_code> exchange(Stream& stream, beast::tcp_stream& lowest,
                                     beast::flat_buffer& buffer, Request& request,
                                     Response& response, Timeouts timeouts,
                                     detail::StragglerWatch::Exchange* watched) {
  std::optional<Clock::time_point> deadline;
  if (timeouts.request.count() > 0) deadline = Clock::now() + timeouts.request;

  // Written piece by piece so that the idle timeout measures progress, not the whole body.
  // Over TLS a large body (a file streamed, a part) stops the serializer after the header: its
  // pieces go out as records written straight to the socket (tls_direct_write.hpp).
  constexpr bool tls = !std::is_same_v<Stream, beast::tcp_stream>;
  const bool direct = tls && request.body().size() >= detail::kDirectTlsBodyFrom;
  bhttp::serializer<true, PayloadBody> serializer(request);
  serializer.limit(kWriteChunk);
  serializer.split(direct);
  while (!serializer.is_done() && !(direct && serializer.is_header_done())) {
    arm(lowest, timeouts, deadline);
    auto [ec, n] = co_await bhttp::async_write_some(stream, serializer, use_tuple);
    if (ec) co_return ec;
    if (!watched->wrote(n)) co_return asio::error::operation_aborted;  // sent again
  }
  if constexpr (tls) {
    if (direct) {
      lowest.expires_never();
      const error_code ec = co_await detail::write_body_tls_direct(
          stream.native_handle(), lowest.socket(), request, timeouts.idle, deadline, watched);
      if (ec) co_return ec;
    }
  }
  watched->written();

  // Interim replies (100 Continue, asked for or not) are read and skipped: the answer follows.
  for (int interim = 0;; ++interim) {
    if (interim > detail::kMaxInterimReplies) co_return bhttp::error::bad_status;
    detail::ResponseParser parser;
    detail::limit_response_parser(parser, request.method());
    while (!parser.is_done()) {
      arm(lowest, timeouts, deadline);
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, use_tuple);
      if (ec) co_return ec;
    }
    if (detail::is_interim(parser.get().result_int())) continue;
    lowest.expires_never();
    watched->answered();
    response = parser.release();
    co_return error_code{};
  }
}

}  // namespace

const char* to_string(Failure f) {
  switch (f) {
    case Failure::None: return "none";
    case Failure::Resolve: return "name resolution failed";
    case Failure::Connect: return "connection failed";
    case Failure::Tls: return "TLS handshake failed";
    case Failure::Certificate: return "TLS certificate verification failed";
    case Failure::Timeout: return "timed out";
    case Failure::Reset: return "connection reset";
    case Failure::Protocol: return "invalid HTTP response";
  }
  return "unknown";
}

std::string Target::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

struct Client::Impl {
  using ConnectionPtr = std::unique_ptr<Connection>;
  using Pool = std::unordered_map<std::string, detail::IdleConnections<ConnectionPtr>>;

  std::vector<asio::any_io_executor> lanes;
  std::vector<const asio::execution_context*> lane_contexts;  // to find a coroutine's lane
  ssl::context tls_context{ssl::context::tls_client};
  TlsSettings tls;
  Timeouts timeouts;
  std::atomic<std::uint64_t> opened{0};
  // Request bytes written, and bodies left behind and sent again (straggler_watch.hpp).
  detail::StragglerWatch stragglers;
  std::uint64_t borrowed = 0;  // connections lent by one lane to another (under mutex)
  detail::OpenPacer pacer;
  // Connections open (idle or carrying a request) and being opened, for open_ahead.
  std::shared_ptr<detail::OpenGauge> live = std::make_shared<detail::OpenGauge>();
  std::atomic<std::int64_t> opening{0};
  std::atomic<std::uint64_t> opened_ahead{0};
  std::atomic<std::size_t> next_lane{0};
  // Connections being opened ahead, per lane (touched on that lane's thread only), so that
  // close_idle() can cancel them; none is started once `stopping`.
  std::vector<std::vector<Connection*>> ahead;
  std::atomic<bool> stopping{false};
  // Per target: the connections being opened ahead and the requests that claimed them (under
  // mutex).
  std::unordered_map<std::string, detail::AheadOpenings<Claim>> ahead_openings;
  std::uint64_t awaited = 0;  // requests that took a connection opened ahead for them

  std::mutex mutex;
  std::vector<Pool> idle;  // per lane
  detail::AddressBook addresses;
  detail::TlsSessions sessions;

  std::size_t lane_of(const asio::any_io_executor& ex) const {
    const asio::execution_context* context = &asio::query(ex, asio::execution::context);
    for (std::size_t i = 0; i < lane_contexts.size(); ++i)
      if (lane_contexts[i] == context) return i;
    return 0;
  }

  // An idle connection to `key`: the most recently used of `lane`'s pool (closing those idle
  // for longer than kIdleMax: the server may be closing them now), else the most recently used
  // fresh one of another lane's pool, so that a lane that runs out of connections borrows one
  // rather than opening a new one while the other lane's sit idle (the number of connections
  // then stays at the number of requests in flight, as with the threaded engine). Returns the
  // connection and the lane it belongs to (whose thread alone may use it). With none idle and
  // `claim`, claims the next connection being opened ahead, if one is not yet claimed (then
  // sets `*claim`: the request waits for its `handed`), in the same breath, so that none is
  // pooled between the two.
  std::pair<ConnectionPtr, std::size_t> take_idle(std::size_t lane, const std::string& key,
                                                  std::shared_ptr<Claim>* claim = nullptr) {
    std::vector<ConnectionPtr> expired;  // closed outside the lock
    std::lock_guard lock(mutex);
    const auto now = Clock::now();
    if (ConnectionPtr conn = idle[lane][key].take(now, expired)) return {std::move(conn), lane};
    for (std::size_t other = 0; other < idle.size(); ++other) {
      if (other == lane) continue;
      auto it = idle[other].find(key);
      if (it == idle[other].end()) continue;
      if (ConnectionPtr conn = it->second.take_fresh(now)) {
        ++borrowed;
        return {std::move(conn), other};
      }
    }
    if (claim) {
      *claim = ahead_openings[key].claim();
      if (*claim) ++awaited;
    }
    return {nullptr, lane};
  }

  void ahead_started(const std::string& key) {
    std::lock_guard lock(mutex);
    ahead_openings[key].started();
  }

  // An opening ahead ended with `conn` (nullptr: failed or cancelled): handed to the oldest
  // request waiting for one (which opens its own when it gets nullptr), else pooled.
  void ahead_ended(std::size_t lane, const std::string& key, ConnectionPtr conn) {
    std::shared_ptr<Claim> claim;
    {
      std::lock_guard lock(mutex);
      claim = ahead_openings[key].ended();
      if (!claim) {
        if (conn) idle[lane][key].keep(std::move(conn), Clock::now());
        return;
      }
    }
    claim->conn = std::move(conn);
    claim->lane = lane;
    claim->handed.done();
  }

  void give_back(std::size_t lane, const std::string& key, ConnectionPtr conn) {
    std::lock_guard lock(mutex);
    idle[lane][key].keep(std::move(conn), Clock::now());
  }
};

namespace {

// Resolves the target when its addresses are stale (a failed re-resolution keeps the old ones),
// connects to its addresses in the address book's order (one that fails is set aside) and, for
// TLS, handshakes with SNI, host-name verification and the endpoint's last session offered for
// resumption. On failure returns nullptr and fills outcome.
asio::awaitable<std::unique_ptr<Connection>> open_connection(std::shared_ptr<Client::Impl> impl,
                                                             std::size_t lane, Target target,
                                                             Outcome& outcome,
                                                             bool ahead = false) {
  const asio::any_io_executor executor = impl->lanes[lane];
  const std::string key = target.to_string();
  if (impl->addresses.stale(key, Clock::now())) {
    tcp::resolver resolver(executor);
    auto [ec, results] = co_await resolver.async_resolve(target.host, std::to_string(target.port),
                                                         use_tuple);
    if (!ec) {
      std::vector<tcp::endpoint> endpoints;
      for (const auto& r : results) endpoints.push_back(r.endpoint());
      impl->addresses.update(key, std::move(endpoints), Clock::now());
    } else {
      impl->addresses.keep(key, Clock::now());
    }
    if (ec && impl->addresses.order(key, Clock::now()).empty()) {
      outcome = detail::resolve_failure(ec, target);
      co_return nullptr;
    }
  }

  // New connections are opened at a bounded rate (connection_policy.hpp); one opened ahead
  // only while the rate leaves room at once.
  if (ahead && !impl->pacer.try_reserve(Clock::now())) co_return nullptr;
  const Clock::duration wait = ahead ? Clock::duration::zero() : impl->pacer.reserve(Clock::now());
  if (wait > Clock::duration::zero()) {
    asio::steady_timer timer(executor, wait);
    co_await timer.async_wait(use_tuple);
  }

  std::unique_ptr<Connection> conn = std::make_unique<Connection>();
  conn->target = target;
  // One opened ahead is listed for close_idle() to cancel while it opens.
  auto& ahead_list = impl->ahead[lane];
  if (ahead) {
    if (impl->stopping.load()) co_return nullptr;
    ahead_list.push_back(conn.get());
  }
  struct Unlist {
    std::vector<Connection*>* list;
    Connection* conn;
    ~Unlist() {
      if (list) std::erase(*list, conn);
    }
  } unlist{ahead ? &ahead_list : nullptr, conn.get()};

  const Clock::time_point began = Clock::now();
  error_code cec = asio::error::host_not_found;
  for (const tcp::endpoint& endpoint : impl->addresses.order(key, Clock::now())) {
    conn->plain.reset();
    conn->secure.reset();
    if (target.tls)
      conn->secure.emplace(executor, impl->tls_context);
    else
      conn->plain.emplace(executor);
    conn->lowest().expires_after(impl->timeouts.connect);
    auto [ec] = co_await conn->lowest().async_connect(endpoint, use_tuple);
    cec = ec;
    if (!cec) break;
    if (ahead && impl->stopping.load()) co_return nullptr;
    impl->addresses.set_aside(key, endpoint, Clock::now());
  }
  if (cec) {
    outcome = detail::connect_failure(cec, key);
    co_return nullptr;
  }
  auto& lowest = conn->lowest();
  lowest.socket().set_option(tcp::no_delay(true));
  impl->opened.fetch_add(1, std::memory_order_relaxed);

  if (conn->secure) {
    auto& stream = *conn->secure;
    detail::prepare_tls(stream, target, impl->tls);
    impl->sessions.offer(stream.native_handle(), key);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
      outcome = detail::handshake_failure(stream.native_handle(), hec, key);
      co_return nullptr;
    }
    impl->sessions.handshake_done(stream.native_handle());
  }
  lowest.expires_never();
  impl->stragglers.opened(Clock::now() - began);
  conn->live = impl->live;  // counted open from now on (until then: Impl::opening)
  conn->live->opened();
  co_return conn;
}

// Counts a connection being opened (Impl::opening) for as long as it lives.
// `counted`: already counted by the caller (open_ahead, before spawning the coroutine).
struct Opening {
  explicit Opening(std::atomic<std::int64_t>& n, bool counted = false) : n(n) {
    if (!counted) n.fetch_add(1);
  }
  ~Opening() { n.fetch_sub(1); }
  Opening(const Opening&) = delete;
  Opening& operator=(const Opening&) = delete;
  std::atomic<std::int64_t>& n;
};

// Opens one connection ahead of the requests (Client::open_ahead) and hands it to the request
// that claimed it, else puts it in `lane`'s pool. A failure is left for the requests to meet.
asio::awaitable<void> open_one_ahead(std::shared_ptr<Client::Impl> impl, std::size_t lane,
                                     Target target) {
  Opening counted(impl->opening, /*counted=*/true);
  Outcome outcome;
  std::unique_ptr<Connection> conn;
  try {
    conn = co_await open_connection(impl, lane, target, outcome, /*ahead=*/true);
  } catch (const std::exception&) {
    conn.reset();  // as a failure: a request waiting for it opens its own
  }
  if (conn && impl->stopping.load()) conn.reset();
  if (conn) impl->opened_ahead.fetch_add(1, std::memory_order_relaxed);
  impl->ahead_ended(lane, target.to_string(), std::move(conn));
}

// Sends `request` over `conn`, on the thread of `lane`, the lane it belongs to. After a complete
// exchange keeps the endpoint's TLS session and gives the connection back to the lane's pool
// (see below for when it is not); after a failure the connection is closed here, on its own
// thread.
asio::awaitable<error_code> exchange_on(std::shared_ptr<Client::Impl> impl, std::size_t lane,
                                        std::string key, std::unique_ptr<Connection> conn,
                                        Request* request, Response* response,
                                        detail::StragglerWatch::Exchange* watched) {
  error_code ec;
  if (conn->secure)
    ec = co_await exchange(*conn->secure, conn->lowest(), conn->buffer, *request, *response,
                           impl->timeouts, watched);
  else
    ec = co_await exchange(*conn->plain, conn->lowest(), conn->buffer, *request, *response,
                           impl->timeouts, watched);
  if (ec) {
    if (watched->abandoned())
      detail::discard_unsent_on_close(conn->lowest().socket().native_handle());
    co_return ec;
  }
  conn->used = true;
  if (conn->secure)
    impl->sessions.remember(conn->secure->native_handle(), key, conn->session_kept);
  // (A reply saying Connection: close, or HTTP/1.0 without keep-alive, ends it here; so do bytes
  // the server sent beyond its reply, which a next request would take for its own.)
  if (response->keep_alive() && conn->buffer.size() == 0)
    impl->give_back(lane, key, std::move(conn));
  co_return error_code{};
}

}  // namespace

Client::Client(asio::any_io_executor executor, TlsSettings tls, Timeouts timeouts)
    : Client(std::vector<asio::any_io_executor>{std::move(executor)}, std::move(tls), timeouts) {}

Client::Client(std::vector<asio::any_io_executor> lanes, TlsSettings tls, Timeouts timeouts)
    : impl_(std::make_shared<Impl>()) {
  if (lanes.empty()) throw std::invalid_argument("http::Client needs at least one executor");
  for (const auto& ex : lanes) impl_->lane_contexts.push_back(&asio::query(ex, asio::execution::context));
  impl_->idle.resize(lanes.size());
  impl_->ahead.resize(lanes.size());
  impl_->lanes = std::move(lanes);
  impl_->tls = std::move(tls);
  impl_->timeouts = timeouts;
  detail::configure_tls_context(impl_->tls_context, impl_->tls);
}

Client::~Client() = default;

asio::awaitable<Outcome> Client::send(Target target, Request& request) {
  auto impl = impl_;
  const std::size_t lane = impl->lane_of(co_await asio::this_coro::executor);
  const std::string key = target.to_string();
  detail::prepare_request(request, target);
  bool resending = false;  // a straggler, sent again on a new connection
  for (int attempt = 0;; ++attempt) {
    Outcome outcome;
    std::unique_ptr<Connection> conn;
    std::size_t owner = lane;
    // None idle while some are being opened ahead: the next of those not yet claimed.
    std::shared_ptr<Claim> claim;
    if (attempt == 0) {
      // One the server closed while idle, or sent something on unasked, is dropped unused (an
      // idle connection has no operation pending, so any thread may close it).
      for (;;) {
        std::tie(conn, owner) = impl->take_idle(lane, key, &claim);
        if (!conn || detail::idle_connection_is_clean(
                         conn->lowest().socket().native_handle(),
                         conn->secure ? conn->secure->native_handle() : nullptr, conn->used))
          break;
        conn.reset();
      }
      if (!conn) owner = lane;
    }
    if (claim) {
      bool cancelled = false;
      try {
        co_await claim->handed.wait();
      } catch (const boost::system::system_error&) {
        cancelled = true;  // the request's cancellation slot fired
      }
      if (cancelled) co_return detail::connect_failure(asio::error::operation_aborted, key);
      if (claim->conn) {
        conn = std::move(claim->conn);
        owner = claim->lane;
      }
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      Opening counted(impl->opening);
      conn = co_await open_connection(impl, lane, target, outcome);
      if (!conn) co_return outcome;
    }
    error_code ec;
    detail::StragglerWatch::Exchange watched(impl->stragglers, request.body().size(), !resending);
    if (owner == lane) {
      ec = co_await exchange_on(impl, lane, key, std::move(conn), &request, &outcome.response,
                                &watched);
    } else {
      // A connection borrowed from another lane is used on that lane's thread.
      asio::awaitable<error_code> task = exchange_on(impl, owner, key, std::move(conn), &request,
                                                     &outcome.response, &watched);
      asio::awaitable<error_code> there =
          asio::co_spawn(impl->lanes[owner], std::move(task), asio::use_awaitable);
      ec = co_await std::move(there);
    }
    if (!ec) co_return outcome;
    if (watched.abandoned()) resending = true;
    if (detail::send_again_at_once(ec, reused, watched.abandoned())) continue;
    co_return detail::exchange_failure(ec, key);
  }
}

void Client::open_ahead(const Target& target, std::size_t total) {
  auto& impl = *impl_;
  if (impl.stopping.load()) return;
  const auto have = static_cast<std::int64_t>(connections_open_or_opening());
  for (std::int64_t n = have; n < static_cast<std::int64_t>(total); ++n) {
    const std::size_t lane = impl.next_lane.fetch_add(1) % impl.lanes.size();
    impl.opening.fetch_add(1);  // until open_one_ahead ends
    impl.ahead_started(target.to_string());
    asio::co_spawn(impl.lanes[lane], open_one_ahead(impl_, lane, target), asio::detached);
  }
}

std::size_t Client::connections_open_or_opening() const {
  const std::int64_t n = impl_->live->now() + impl_->opening.load();
  return static_cast<std::size_t>(std::max<std::int64_t>(0, n));
}

void Client::close_idle() {
  impl_->stopping = true;
  // Connections still being opened ahead are cancelled on their own lanes.
  for (std::size_t lane = 0; lane < impl_->lanes.size(); ++lane)
    asio::post(impl_->lanes[lane], [impl = impl_, lane] {
      for (Connection* c : impl->ahead[lane])
        if (c->plain || c->secure) c->lowest().cancel();
    });
  std::lock_guard lock(impl_->mutex);
  for (auto& pool : impl_->idle) pool.clear();
}

std::uint64_t Client::connections_opened() const { return impl_->opened.load(); }
std::uint64_t Client::connections_peak_open() const {
  return static_cast<std::uint64_t>(impl_->live->peak());
}
std::uint64_t Client::stragglers_resent() const { return impl_->stragglers.resent(); }
std::uint64_t Client::bytes_written() const { return impl_->stragglers.bytes_written(); }
std::uint64_t Client::connections_borrowed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->borrowed;
}
std::uint64_t Client::connections_opened_ahead() const { return impl_->opened_ahead.load(); }
std::uint64_t Client::connections_awaited() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->awaited;
}
std::uint64_t Client::connections_paced() const { return impl_->pacer.paced(); }
std::uint64_t Client::tls_handshakes() const { return impl_->sessions.handshakes(); }
std::uint64_t Client::tls_resumed() const { return impl_->sessions.resumed(); }
const Timeouts& Client::timeouts() const { return impl_->timeouts; }

}  // namespace s3up::http
