#include "concord/http/metrics.h"

#include <fmt/format.h>

#include <tuple>

namespace concord::http {
namespace {

std::string Labels(const std::vector<std::pair<std::string, std::string>>& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

void Head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

void Metrics::Request(std::string_view route, std::string_view method, int status, double seconds) {
  std::string r = route.empty() ? "unmatched" : std::string(route);
  std::lock_guard lock(mu_);
  ++requests_[RequestKey{r, std::string(method), status}];
  Latency& l = latency_[r];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++l.buckets[i];
  }
  ++l.count;
  l.sum += seconds;
}

void Metrics::AddFamily(std::string name, std::string type, std::string help,
                        std::function<std::vector<Sample>()> samples) {
  std::lock_guard lock(mu_);
  families_.push_back({std::move(name), std::move(type), std::move(help), std::move(samples)});
}

std::string Metrics::Text() const {
  std::string out;
  std::vector<Family> families;
  {
    std::lock_guard lock(mu_);
    Head(out, "concord_http_requests_total", "counter",
         "HTTP requests answered, by route pattern, method and status");
    for (const auto& [k, n] : requests_) {
      out += fmt::format(
          "concord_http_requests_total{} {}\n",
          Labels({{"route", k.route}, {"method", k.method}, {"status", std::to_string(k.status)}}),
          n);
    }
    Head(out, "concord_http_request_duration_seconds", "histogram",
         "Time from a request's first byte to its answer, by route pattern");
    for (const auto& [route, l] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out += fmt::format("concord_http_request_duration_seconds_bucket{} {}\n",
                           Labels({{"route", route}, {"le", fmt::format("{}", kBuckets[i])}}),
                           l.buckets[i]);
      }
      out += fmt::format("concord_http_request_duration_seconds_bucket{} {}\n",
                         Labels({{"route", route}, {"le", "+Inf"}}), l.count);
      out += fmt::format("concord_http_request_duration_seconds_sum{} {}\n",
                         Labels({{"route", route}}), l.sum);
      out += fmt::format("concord_http_request_duration_seconds_count{} {}\n",
                         Labels({{"route", route}}), l.count);
    }
    families = families_;
  }
  Head(out, "concord_sign_in_failures_total", "counter",
       "Failed sign-ins (wrong or unknown login or password, disabled users)");
  out += fmt::format("concord_sign_in_failures_total {}\n", sign_in_failures_.load());
  // The services' families, computed outside the lock (they may read a database).
  for (const auto& f : families) {
    Head(out, f.name, f.type, f.help);
    for (const auto& s : f.samples()) {
      out += fmt::format("{}{} {}\n", f.name, Labels(s.labels), s.value);
    }
  }
  return out;
}

}  // namespace concord::http
