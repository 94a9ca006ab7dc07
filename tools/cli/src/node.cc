#include "node.h"

#include <fmt/format.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <set>

#include "concord/apps/registry.h"
#include "concord/http/client.h"

namespace concord::cli {
namespace {

namespace fs = std::filesystem;

// "http://host:port/path" -> "http://host:port".
std::string BaseOf(const std::string& url) {
  auto p = url.find('/', url.find("//") + 2);
  return p == std::string::npos ? url : url.substr(0, p);
}

// "http://[::1]:8080/x" -> "::1"; "http://db1:8080" -> "db1".
std::string HostOf(const std::string& url) {
  std::string rest = url.substr(url.find("//") + 2);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.rfind(':'));
}

nlohmann::json StateForTransfer(const maintenance::State& s) {
  if (!s.enabled) return {{"enabled", false}, {"changedAt", s.changed_at}};
  return {{"enabled", true},    {"allow", s.allow},
          {"page", s.page},     {"retryAfterSeconds", s.retry_after_seconds},
          {"reason", s.reason}, {"by", s.by},
          {"since", s.since},   {"changedAt", s.changed_at}};
}

maintenance::State StateFromTransfer(const nlohmann::json& j) {
  maintenance::State s;
  if (!j.is_object()) return s;
  s.enabled = j.value("enabled", false);
  s.changed_at = j.value("changedAt", int64_t{0});
  if (!s.enabled) return s;
  if (j.contains("allow") && j["allow"].is_array()) {
    for (const auto& a : j["allow"]) {
      if (a.is_string()) s.allow.push_back(a.get<std::string>());
    }
  }
  s.page = j.value("page", "");
  s.retry_after_seconds = j.value("retryAfterSeconds", 300);
  s.reason = j.value("reason", "");
  s.by = j.value("by", "");
  s.since = j.value("since", int64_t{0});
  return s;
}

constexpr std::string_view kMaintenanceSetting = "maintenance";

// `reply[key]`, or null when the reply is not an object (a process answering something else
// must not stop this one: operator[] throws on arrays and strings).
// Whether two states let in the same people (on or off, and the same allow-list).
bool SameRule(const maintenance::State& a, const maintenance::State& b) {
  return a.enabled == b.enabled && (!a.enabled || a.allow == b.allow);
}

nlohmann::json Field(const nlohmann::json& reply, const char* key) {
  if (!reply.is_object()) return nullptr;
  auto it = reply.find(key);
  return it == reply.end() ? nlohmann::json(nullptr) : *it;
}

}  // namespace

std::string AdvertisedUrl(const deployment::Config& config, const std::string& host, int port) {
  if (!config.advertise_url.empty()) return config.advertise_url;
  std::string name = host;
  if (name.empty() || name == "0.0.0.0" || name == "::") {
    char buf[256] = {};
    name = ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : "localhost";
  }
  if (name.find(':') != std::string::npos) name = "[" + name + "]";
  return fmt::format("http://{}:{}", name, port);
}

std::map<std::string, deployment::Config::ServiceEndpoint> ApplicationEndpoints(
    const deployment::Config& config, const std::vector<std::string>& selected,
    const std::string& own_url) {
  std::map<std::string, deployment::Config::ServiceEndpoint> out;
  for (const apps::Application* a : apps::All()) {
    std::string service(a->service);
    if (std::find(selected.begin(), selected.end(), service) != selected.end()) {
      out[service] = {own_url, {own_url}};
    } else if (auto it = config.service_endpoints.find(service);
               it != config.service_endpoints.end()) {
      out[service] = it->second;
    } else {
      for (const auto& w : a->widgets) {
        auto h = config.handler_urls.find(std::string(w.def_id));
        if (h == config.handler_urls.end()) continue;
        std::string base = BaseOf(h->second);
        out[service] = {base, {base}};
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> PeerAddresses(const std::vector<std::string>& urls) {
  std::set<std::string> out;
  for (const auto& url : urls) {
    std::string host = HostOf(url);
    if (host.empty()) continue;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) continue;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      char text[NI_MAXHOST] = {};
      if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) ==
          0) {
        out.insert(text);
      }
    }
    ::freeaddrinfo(found);
  }
  return {out.begin(), out.end()};
}

nlohmann::json DescribeNode(const NodeSelf& self, const OpenedServices& services,
                            const fs::path& maintenance_file) {
  nlohmann::json databases = nlohmann::json::object();
  if (services.communities_db) databases["communities"] = services.communities_db->display_url();
  for (const auto& a : services.applications) databases[a.service] = a.database->display_url();
  auto state = maintenance::Load(maintenance_file);
  return {{"nodeId", self.node_id},
          {"url", self.url},
          {"services", self.services},
          {"version", kConcordVersion},
          {"startedAt", FormatTimestamp(self.started_at)},
          {"databases", databases},
          {"maintenance", state ? maintenance::ToJson(*state) : nlohmann::json(nullptr)}};
}

void MountNodeApi(http::Server& server, const NodeSelf& self, const OpenedServices& services,
                  const fs::path& maintenance_file) {
  server.Get("/api/admin/node", http::Access::kAdministrator,
             [&self, &services, maintenance_file](const http::Request&) -> Result<http::Response> {
               return http::Response::Json(200, DescribeNode(self, services, maintenance_file));
             });
}

DeploymentAgent::DeploymentAgent(Options options) : options_(std::move(options)) {}

DeploymentAgent::~DeploymentAgent() { Stop(); }

void DeploymentAgent::Start() {
  Beat();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::seconds(2), [&] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      Beat();
      lock.lock();
    }
  });
}

void DeploymentAgent::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (auto s = options_.cluster->Leave(); !s) {
    spdlog::warn("could not record this node as stopped: {}", s.error().message);
  }
}

std::vector<std::pair<std::string, std::string>> DeploymentAgent::OtherProcesses() {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen = {options_.self.url};
  Millis now = NowMillis();
  if (auto nodes = options_.cluster->Nodes()) {
    for (const auto& n : *nodes) {
      if (n.node_id == options_.self.node_id || !n.Up(now) || !seen.insert(n.url).second) continue;
      out.emplace_back(n.url, fmt::format("{}", fmt::join(n.services, ",")));
    }
  }
  for (const auto& [service, ep] :
       ApplicationEndpoints(options_.services->config, options_.selected, options_.self.url)) {
    for (const auto& node : ep.nodes) {
      if (seen.insert(node).second) out.emplace_back(node, service);
    }
  }
  return out;
}

void DeploymentAgent::Beat() {
  auto details = DescribeNode(options_.self, *options_.services, options_.maintenance_file);
  details["leases"] = options_.held ? options_.held() : std::vector<std::string>{};
  if (auto s = options_.cluster->Heartbeat({.url = options_.self.url,
                                            .services = options_.self.services,
                                            .version = std::string(kConcordVersion),
                                            .details = details.dump(),
                                            .started_at = options_.self.started_at});
      !s) {
    spdlog::warn("could not record this node in the node registry: {}", s.error().message);
    return;
  }
  // Every process the deployment has passes maintenance mode.
  std::vector<std::string> urls = options_.services->config.communities_urls;
  for (const auto& [url, what] : OtherProcesses()) urls.push_back(url);
  if (options_.gate) options_.gate->SetPeers(PeerAddresses(urls));

  // The deployment's maintenance state and this node's: the later change wins (each carries
  // when it changed, from the host that changed it). A state set through a node is stored for
  // all; one written offline (`concord maintenance on` with the server stopped) is later than
  // the stored one, and becomes the deployment's.
  auto stored = options_.cluster->Setting(std::string(kMaintenanceSetting));
  auto local = maintenance::Load(options_.maintenance_file);
  if (!stored || !local) return;
  if (!*stored) {
    if (local->enabled) (void)Propagate(*local);
    return;
  }
  auto j = nlohmann::json::parse(**stored, nullptr, false);
  if (!j.is_object()) return;
  maintenance::State deployment = StateFromTransfer(j["state"]);
  deployment.changed_at = j.value("changedAt", deployment.changed_at);
  if (local->changed_at > deployment.changed_at) {
    (void)Propagate(*local);
    return;
  }
  if (local->changed_at < deployment.changed_at && !SameRule(deployment, *local)) {
    if (maintenance::Save(options_.maintenance_file, deployment)) {
      if (options_.gate) options_.gate->Reload();
      spdlog::warn("{} (the deployment's, adopted)", maintenance::Describe(deployment));
    }
  }
  // Every 10 s: an application process that was down when the state changed takes it now.
  if (++beats_ % 5 == 0) TellLateProcesses(deployment);
}

void DeploymentAgent::TellLateProcesses(const maintenance::State& deployment) {
  std::vector<std::future<void>> asked;
  for (const auto& [service, ep] :
       ApplicationEndpoints(options_.services->config, options_.selected, options_.self.url)) {
    for (const auto& node : ep.nodes) {
      if (node == options_.self.url) continue;
      asked.push_back(std::async(std::launch::async, [this, node, service, &deployment] {
        http::Client client({.url = node,
                             .user = options_.user,
                             .password = options_.password,
                             .timeout = std::chrono::seconds(3)});
        auto d = client.Get("/api/admin/node");
        if (!d) return;
        nlohmann::json m = Field(*d, "maintenance");
        if (!m.is_object()) return;
        // A change made on that process later than the deployment's (maintenance turned on
        // there to restore its database, say) is its administrator's: left alone.
        Millis changed = m.contains("changedAtMs") && m["changedAtMs"].is_number_integer()
                             ? m["changedAtMs"].get<int64_t>()
                             : 0;
        if (changed >= deployment.changed_at) return;
        maintenance::State theirs;
        theirs.enabled = m.value("enabled", false);
        if (m.contains("allow") && m["allow"].is_array()) {
          for (const auto& a : m["allow"]) {
            if (a.is_string()) theirs.allow.push_back(a.get<std::string>());
          }
        }
        if (SameRule(theirs, deployment)) return;
        auto told =
            client.Put("/api/admin/maintenance?scope=process", StateForTransfer(deployment));
        spdlog::warn("maintenance: {} ({}) {} the deployment's state: {}", node, service,
                     told ? "took" : "could not take",
                     told ? maintenance::Describe(deployment) : told.error().message);
      }));
    }
  }
  for (auto& a : asked) a.get();
}

Result<nlohmann::json> DeploymentAgent::Propagate(const maintenance::State& state) {
  nlohmann::json stored = {{"state", StateForTransfer(state)},
                           {"changedAt", state.changed_at > 0 ? state.changed_at : NowMillis()}};
  CONCORD_RETURN_IF_ERROR(
      options_.cluster->SetSetting(std::string(kMaintenanceSetting), stored.dump()));
  auto others = OtherProcesses();
  std::vector<std::future<std::string>> replies;
  replies.reserve(others.size());
  for (const auto& [url, what] : others) {
    replies.push_back(std::async(std::launch::async, [this, url = url, &state]() -> std::string {
      http::Client client({.url = url,
                           .user = options_.user,
                           .password = options_.password,
                           .timeout = std::chrono::seconds(5)});
      auto r = client.Put("/api/admin/maintenance?scope=process", StateForTransfer(state));
      return r ? "" : r.error().message;
    }));
  }
  nlohmann::json processes = nlohmann::json::array();
  processes.push_back({{"url", options_.self.url},
                       {"services", fmt::format("{}", fmt::join(options_.self.services, ","))},
                       {"told", true}});
  bool complete = true;
  for (size_t i = 0; i < others.size(); ++i) {
    std::string error = replies[i].get();
    nlohmann::json p = {{"url", others[i].first}, {"services", others[i].second}};
    p["told"] = error.empty();
    if (!error.empty()) {
      p["error"] = error;
      complete = false;
      spdlog::warn("maintenance: {} ({}) was not told: {}", others[i].first, others[i].second,
                   error);
    }
    processes.push_back(p);
  }
  return nlohmann::json{{"processes", processes}, {"complete", complete}};
}

void DeploymentAgent::CredentialsChanged() {
  auto nodes = options_.cluster->Nodes();
  if (!nodes) return;
  Millis now = NowMillis();
  for (const auto& n : *nodes) {
    if (n.node_id == options_.self.node_id || !n.Up(now)) continue;
    std::thread([url = n.url, user = options_.user, password = options_.password] {
      http::Client client(
          {.url = url, .user = user, .password = password, .timeout = std::chrono::seconds(5)});
      auto told = client.Send("POST", "/api/admin/credentials/invalidate", "{}");
      if (!told || told->status != 204) {
        spdlog::warn("could not tell the node {} that credentials changed: {}", url,
                     told ? fmt::format("HTTP {}", told->status) : told.error().message);
      }
    }).detach();
  }
}

Result<nlohmann::json> DeploymentAgent::View() {
  Millis now = NowMillis();
  CONCORD_ASSIGN_OR_RETURN(auto nodes, options_.cluster->Nodes());
  CONCORD_ASSIGN_OR_RETURN(auto leases, options_.cluster->Leases());
  CONCORD_ASSIGN_OR_RETURN(auto counts, options_.cluster->DeliveryCounts());
  nlohmann::json communities = nlohmann::json::array();
  for (const auto& n : nodes) {
    std::vector<std::string> held;
    for (const auto& l : leases) {
      if (l.node_id == n.node_id && l.expires_at > now) held.push_back(l.remote_app_def_id);
    }
    auto details = nlohmann::json::parse(n.details, nullptr, false);
    communities.push_back(
        {{"nodeId", n.node_id},
         {"url", n.url},
         {"services", n.services},
         {"version", n.version},
         {"up", n.Up(now)},
         {"self", n.node_id == options_.self.node_id},
         {"lastSeen",
          n.last_seen > 0 ? nlohmann::json(FormatTimestamp(n.last_seen)) : nlohmann::json(nullptr)},
         {"leases", held},
         {"databases", Field(details, "databases")},
         {"maintenance", Field(details, "maintenance")}});
  }
  // Each application process is asked (in parallel) what it is and how far it applied.
  auto probe = [this](const std::string& url, const std::string& path) {
    return std::async(std::launch::async, [this, url, path]() -> Result<nlohmann::json> {
      http::Client client({.url = url,
                           .user = options_.user,
                           .password = options_.password,
                           .timeout = std::chrono::seconds(3)});
      return client.Get(path);
    });
  };
  nlohmann::json applications = nlohmann::json::array();
  for (const auto& [service, ep] :
       ApplicationEndpoints(options_.services->config, options_.selected, options_.self.url)) {
    auto progress = probe(ep.url, fmt::format("/{}/api/admin/progress", service));
    std::vector<std::future<Result<nlohmann::json>>> described;
    described.reserve(ep.nodes.size());
    for (const auto& node : ep.nodes) described.push_back(probe(node, "/api/admin/node"));
    nlohmann::json app_nodes = nlohmann::json::array();
    for (size_t i = 0; i < ep.nodes.size(); ++i) {
      auto d = described[i].get();
      nlohmann::json entry = {{"url", ep.nodes[i]}, {"up", d.has_value()}};
      if (d) {
        entry["version"] = Field(*d, "version");
        entry["databases"] = Field(*d, "databases");
        entry["maintenance"] = Field(*d, "maintenance");
      } else {
        entry["error"] = d.error().message;
      }
      app_nodes.push_back(entry);
    }
    nlohmann::json deliveries = nlohmann::json::object();
    std::vector<std::string> defs;
    if (const apps::Application* a = apps::ByService(service)) {
      for (const auto& w : a->widgets) defs.emplace_back(w.def_id);
    }
    for (const auto& def : defs) {
      auto c = counts.find(def);
      deliveries[def] = {{"pending", c == counts.end() ? 0 : c->second.pending},
                         {"queued", c == counts.end() ? 0 : c->second.queued}};
    }
    auto p = progress.get();
    applications.push_back(
        {{"service", service},
         {"url", ep.url},
         {"remoteAppDefIds", defs},
         {"nodes", app_nodes},
         {"deliveries", deliveries},
         {"lastAppliedEventSeq", p ? Field(*p, "lastAppliedEventSeq") : nlohmann::json(nullptr)}});
  }
  nlohmann::json maintenance_state = nullptr;
  if (auto stored = options_.cluster->Setting(std::string(kMaintenanceSetting));
      stored && *stored) {
    auto j = nlohmann::json::parse(**stored, nullptr, false);
    if (j.is_object()) maintenance_state = maintenance::ToJson(StateFromTransfer(j["state"]));
  }
  return nlohmann::json{{"node", options_.self.node_id},
                        {"communities", communities},
                        {"applications", applications},
                        {"maintenance", maintenance_state}};
}

}  // namespace concord::cli
