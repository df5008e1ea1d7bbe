// s3up-wanproxy: the benchmark's WAN emulator (see proxy.hpp, bench/README.md), a C++ port of
// the model bench/wanproxy.py documents, with its command line and control protocol:
//
//   s3up-wanproxy [--profile wan20|wan80|wan150|proxy0] [--rtt 20ms] [--rate 1gbit]
//                 [--loss 0.005] [--rwnd 4MiB] [--queue-ms N] [--no-idle-restart] [--seed N]
//                 --map [LPORT=]127.0.0.1:PORT ... [--control-port N] [--ready-file F]
//                 [--stats-file F]
//
// Prints "listen 127.0.0.1:LPORT -> HOST:PORT" per listener, "control 127.0.0.1:PORT" and
// "ready" (also written atomically to --ready-file). Control port, one command per line, one
// JSON line back: "stats", "reset" (the stats, then zeroes them; "... timeline" adds the
// timeline), "target LPORT HOST:PORT", "quit". At exit (SIGTERM, SIGINT, quit) the stats go to
// --stats-file, or stdout.
#include "proxy.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <cxxopts.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

struct Mapping {
    std::uint16_t lport = 0;
    tcp::endpoint target;
};

// "[LPORT=]HOST:PORT", HOST 127.0.0.1 or localhost only: the proxy never relays elsewhere.
Mapping parse_map(const std::string& text) {
    Mapping m;
    std::string s = text;
    if (auto eq = s.find('='); eq != std::string::npos) {
        m.lport = static_cast<std::uint16_t>(std::stoi(s.substr(0, eq)));
        s = s.substr(eq + 1);
    }
    const auto colon = s.rfind(':');
    if (colon == std::string::npos)
        throw std::invalid_argument("--map " + text + ": HOST:PORT expected");
    const std::string host = s.substr(0, colon);
    if (host != "127.0.0.1" && host != "localhost")
        throw std::invalid_argument("target '" + host + "' refused: only 127.0.0.1 / localhost");
    const int port = std::stoi(s.substr(colon + 1));
    if (port <= 0 || port > 65535)
        throw std::invalid_argument("--map " + text + ": bad port");
    m.target = tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), static_cast<std::uint16_t>(port));
    return m;
}

class Control {
public:
    Control(asio::io_context& io, wanproxy::Proxy& proxy, std::uint16_t port,
            std::function<void()> quit)
        : proxy_(proxy), acceptor_(io), quit_(std::move(quit)) {
        const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), port);
        acceptor_.open(at.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(at);
        acceptor_.listen();
        accept();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    void close() {
        error_code ignored;
        acceptor_.close(ignored);
    }

private:
    struct Session {
        explicit Session(tcp::socket s) : socket(std::move(s)) {}
        tcp::socket socket;
        asio::streambuf in;
        std::string out;
    };

    void accept() {
        acceptor_.async_accept([this](error_code ec, tcp::socket s) {
            if (ec == asio::error::operation_aborted)
                return;
            if (!ec)
                read(std::make_shared<Session>(std::move(s)));
            accept();
        });
    }

    void read(std::shared_ptr<Session> session) {
        asio::async_read_until(session->socket, session->in, '\n',
                               [this, session](error_code ec, std::size_t) {
                                   if (ec)
                                       return;
                                   std::istream is(&session->in);
                                   std::string line;
                                   std::getline(is, line);
                                   bool quit = false;
                                   session->out = boost::json::serialize(answer(line, quit)) + "\n";
                                   asio::async_write(session->socket, asio::buffer(session->out),
                                                     [this, session, quit](error_code e, std::size_t) {
                                                         if (quit)   // once the reply is sent
                                                             quit_();
                                                         else if (!e)
                                                             read(session);
                                                     });
                               });
    }

    boost::json::object answer(const std::string& line, bool& quit) {
        std::istringstream words(line);
        std::vector<std::string> cmd;
        for (std::string w; words >> w;)
            cmd.push_back(w);
        if (cmd.empty())
            return {{"error", "empty command"}};
        const bool timeline = cmd.size() > 1 && cmd[1] == "timeline";
        if (cmd[0] == "stats")
            return proxy_.report(timeline);
        if (cmd[0] == "reset") {
            auto out = proxy_.report(timeline);
            proxy_.reset();
            return out;
        }
        if (cmd[0] == "target" && cmd.size() == 3) {
            try {
                const auto lport = static_cast<std::uint16_t>(std::stoi(cmd[1]));
                const Mapping m = parse_map(cmd[2]);
                if (!proxy_.retarget(lport, m.target))
                    return {{"error", "no listener on " + cmd[1]}};
                return {{"ok", true}, {"target", "127.0.0.1:" + std::to_string(m.target.port())}};
            } catch (const std::exception& e) {
                return {{"error", e.what()}};
            }
        }
        if (cmd[0] == "quit") {
            quit = true;
            return {{"ok", true}};
        }
        return {{"error", "unknown command '" + cmd[0] + "'"}};
    }

    wanproxy::Proxy& proxy_;
    tcp::acceptor acceptor_;
    std::function<void()> quit_;
};

struct Preset {
    double rtt;
    double rate_bits;
    double loss;
};

const std::map<std::string, Preset> kProfiles{
    {"proxy0", {0.0, 0, 0.0}},
    {"wan20", {0.020, 1e9, 0.0}},
    {"wan80", {0.080, 200e6, 0.0}},
    {"wan150", {0.150, 100e6, 0.005}},
};

void write_atomically(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::trunc);
        f << text;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
    cxxopts::Options options("s3up-wanproxy", "a userspace WAN emulator: a TCP proxy on "
                                              "127.0.0.1 that delays what it relays");
    options.add_options()
        ("profile", "preset rtt/rate/loss: proxy0, wan20, wan80, wan150", cxxopts::value<std::string>())
        ("rtt", "round-trip time added, e.g. 20ms", cxxopts::value<std::string>())
        ("rate", "shared link rate each way, e.g. 1gbit, 200mbit; 0 = unlimited", cxxopts::value<std::string>())
        ("loss", "loss probability per segment, e.g. 0.005", cxxopts::value<double>())
        ("rwnd", "receive window: the cwnd cap", cxxopts::value<std::string>()->default_value("4MiB"))
        ("queue-ms", "bottleneck queue in ms of data (default the RTT, at least 5)", cxxopts::value<double>())
        ("no-idle-restart", "keep cwnd across idle spells (Linux halves it: tcp_slow_start_after_idle)")
        ("map", "[LPORT=]127.0.0.1:PORT (repeatable)", cxxopts::value<std::vector<std::string>>())
        ("control-port", "control port (0: any)", cxxopts::value<int>()->default_value("0"))
        ("ready-file", "write the listen lines here (atomically) when ready", cxxopts::value<std::string>())
        ("stats-file", "write the JSON report here at exit (default stdout)", cxxopts::value<std::string>())
        ("seed", "random seed of the loss model", cxxopts::value<std::uint64_t>())
        ("h,help", "this help");
    try {
        const auto a = options.parse(argc, argv);
        if (a.count("help")) {
            std::cout << options.help() << "\n";
            return 0;
        }
        if (!a.count("map"))
            throw std::invalid_argument("--map is required");
        Preset preset{0.0, 0, 0.0};
        if (a.count("profile")) {
            auto it = kProfiles.find(a["profile"].as<std::string>());
            if (it == kProfiles.end())
                throw std::invalid_argument("unknown --profile");
            preset = it->second;
        }
        wanproxy::Profile prof;
        prof.rtt = a.count("rtt") ? wanproxy::parse_duration(a["rtt"].as<std::string>()) : preset.rtt;
        prof.rate_bits = a.count("rate") ? wanproxy::parse_rate(a["rate"].as<std::string>()) : preset.rate_bits;
        prof.loss = a.count("loss") ? a["loss"].as<double>() : preset.loss;
        if (prof.loss < 0 || prof.loss >= 1)
            throw std::invalid_argument("--loss must be in [0, 1)");
        prof.rwnd = wanproxy::parse_size(a["rwnd"].as<std::string>());
        prof.queue = a.count("queue-ms") ? a["queue-ms"].as<double>() / 1e3 : std::max(prof.rtt, 0.005);
        prof.idle_restart = !a.count("no-idle-restart");
        std::vector<Mapping> maps;
        for (const auto& m : a["map"].as<std::vector<std::string>>())
            maps.push_back(parse_map(m));
        const std::uint64_t seed = a.count("seed") ? a["seed"].as<std::uint64_t>() : std::random_device{}();

        asio::io_context io(1);
        wanproxy::Proxy proxy(io, prof, seed);
        std::ostringstream ready;
        for (const auto& m : maps) {
            const auto port = proxy.listen(m.lport, m.target);
            ready << "listen 127.0.0.1:" << port << " -> 127.0.0.1:" << m.target.port() << "\n";
        }
        bool stopping = false;
        std::unique_ptr<Control> control;
        asio::signal_set signals(io, SIGTERM, SIGINT);
        auto stop = [&] {
            if (stopping)
                return;
            stopping = true;
            const std::string out = boost::json::serialize(proxy.report(false)) + "\n";
            if (a.count("stats-file")) {
                std::ofstream(a["stats-file"].as<std::string>(), std::ios::trunc) << out;
            } else {
                std::cout << out << std::flush;
            }
            signals.cancel();
            proxy.close_listeners();
            control->close();
            io.stop();
        };
        control = std::make_unique<Control>(io, proxy,
                                            static_cast<std::uint16_t>(a["control-port"].as<int>()),
                                            [&] { asio::post(io, stop); });
        signals.async_wait([&](error_code ec, int) {
            if (!ec)
                stop();
        });
        ready << "control 127.0.0.1:" << control->port() << "\nready\n";
        std::cout << ready.str() << std::flush;
        if (a.count("ready-file"))
            write_atomically(a["ready-file"].as<std::string>(), ready.str());
        io.run();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "s3up-wanproxy: " << e.what() << "\n";
        return 2;
    }
}
