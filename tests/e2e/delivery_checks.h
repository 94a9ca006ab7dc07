#pragma once
// What the end-to-end tests that kill processes under load check afterwards (crash_e2e_test,
// cluster_e2e_test): every lifecycle event applied exactly once by each application that it was
// addressed to, the queue drained, and each application's synced record equal to Communities'.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "concord/http/client.h"

namespace concord::e2e {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Every page of a listing that answers {"items", "next"} with `next` a seq.
inline std::vector<json> AllPages(http::Client& client, const std::string& path) {
  std::vector<json> out;
  int64_t after = 0;
  while (true) {
    std::string sep = path.find('?') == std::string::npos ? "?" : "&";
    auto page = client.Get(path + sep + "after=" + std::to_string(after) + "&limit=1000");
    EXPECT_TRUE(page) << path << ": " << page.error().ToString();
    if (!page) return out;
    for (auto& item : (*page)["items"]) out.push_back(item);
    if ((*page)["next"].is_null()) return out;
    after = (*page)["next"].get<int64_t>();
  }
}

// Waits until Communities' delivery queue is empty, up to `limit`; the summary last seen.
inline json WaitForDrainedQueue(http::Client& admin, std::chrono::seconds limit) {
  json last;
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    auto s = admin.Get("/communities/api/admin/queue/summary");
    if (s) {
      last = *s;
      if ((*s)["items"].empty()) return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return last;
}

inline std::vector<std::string> Sorted(const json& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(id.is_object() ? id["id"] : id);
  std::sort(out.begin(), out.end());
  return out;
}

// Every seq Communities addressed to `app` was applied by it exactly once; returns how many
// duplicate deliveries it refused.
inline int64_t ExpectEachEventAppliedOnce(http::Client& communities, http::Client& application,
                                          const std::string& service, const std::string& app) {
  auto published = AllPages(communities, "/communities/api/admin/events/log?remoteAppDefId=" + app);
  auto applied = AllPages(application, "/" + service + "/api/admin/applied/" + app);
  std::map<int64_t, json> by_seq;
  int64_t duplicates = 0;
  for (const auto& a : applied) {
    int64_t seq = a["seq"];
    EXPECT_FALSE(by_seq.contains(seq)) << app << " lists seq " << seq << " twice";
    EXPECT_EQ(a["deliveries"].get<int64_t>() >= 1, true) << a.dump();
    duplicates += a["deliveries"].get<int64_t>() - 1;
    by_seq[seq] = a;
  }
  std::vector<std::string> missing;
  for (const auto& e : published) {
    auto it = by_seq.find(e["seq"].get<int64_t>());
    if (it == by_seq.end()) {
      missing.push_back(e.dump());
      continue;
    }
    EXPECT_EQ(it->second["eventId"], e["eventId"]) << "seq " << e["seq"] << " is another event";
  }
  EXPECT_GT(published.size(), 20u) << app << ": the load made too few events to mean anything";
  EXPECT_TRUE(missing.empty()) << app << " never applied " << missing.size() << " of the "
                               << published.size() << " events addressed to it, first: "
                               << (missing.empty() ? "" : missing[0]);
  std::cout << app << ": " << published.size() << " events addressed to it, " << applied.size()
            << " applied (replays add the others'), " << duplicates
            << " duplicate deliveries refused\n";
  return duplicates;
}

// The application's synced record of every community with its widget equals Communities'
// state, and the widget is bound to the one resource the application holds for it.
inline void ExpectSameState(http::Client& communities, http::Client& application,
                            const std::string& service, const std::string& app) {
  auto states = communities.Get("/communities/api/admin/sync/" + app + "?limit=1000");
  ASSERT_TRUE(states) << states.error().ToString();
  ASSERT_FALSE((*states)["items"].empty());
  for (const auto& s : (*states)["items"]) {
    std::string uuid = s["uuid"];
    auto record = application.Get("/" + service + "/api/synced/" + app + "/" + uuid);
    ASSERT_TRUE(record) << app << " has no record of " << uuid << ": " << record.error().ToString();
    const json& r = *record;
    EXPECT_EQ(r["version"], s["version"]) << app << " " << uuid;
    EXPECT_EQ(r["name"], s["name"]) << app << " " << uuid;
    EXPECT_EQ(r["visibility"], s["visibility"]) << app << " " << uuid;
    EXPECT_EQ(r["inTrash"], s["trashed"]) << app << " " << uuid;
    EXPECT_EQ(Sorted(r["owners"]), Sorted(s["owners"])) << app << " " << uuid;
    EXPECT_EQ(Sorted(r["members"]), Sorted(s["members"])) << app << " " << uuid;
    ASSERT_FALSE(s["widget"].is_null());
    EXPECT_EQ(r["widgetInstanceId"], s["widget"]["instanceId"]) << app << " " << uuid;
    ASSERT_TRUE(s["widget"]["resourceId"].is_string()) << "widget of " << uuid << " unbound";
    EXPECT_EQ(r["resourceId"], s["widget"]["resourceId"]) << app << " " << uuid;
    // remote.app.added applied once: one resource for the widget, not two.
    auto resources =
        application.Get("/" + service + "/api/admin/resources/" + app + "?community=" + uuid);
    ASSERT_TRUE(resources) << resources.error().ToString();
    EXPECT_EQ((*resources)["items"].size(), 1u) << app << " " << uuid << ": " << resources->dump();
  }
}

}  // namespace concord::e2e
