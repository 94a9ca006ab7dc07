// concord-bench-sync: the export and the synchronization report of one application on a
// populated deployment, each against a floor measured in the same run:
//   export floor: reading the export's rows (synced records and members) straight from the
//                 application's database, doing nothing with them;
//   report floor: parsing the export file (libxml2 reader, nothing kept) and reading the
//                 Communities side the report reads (the sync pages), doing nothing else.
// Peak memory is the process's high-water mark (VmHWM) over the step, reset before it: the
// server's for the export, this process's for the report. See tools/bench/README.md.
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "concord/db/database.h"
#include "concord/http/client.h"
#include "concord/lifecycle/widgets.h"
#include "concord/recovery/sync_report.h"
#include "concord/testing/postgres.h"
#include "concord/testing/process.h"
#include "concord/xml/synced_resources.h"

namespace fs = std::filesystem;
using namespace concord;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void ResetPeak(int pid) { std::ofstream(fmt::format("/proc/{}/clear_refs", pid)) << "5"; }

double PeakMb(int pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

int Fail(const std::string& what) {
  std::cerr << "concord-bench-sync: " << what << "\n";
  return 1;
}

int Run(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "concord-bench-sync: " << e.what() << "\n";
    return 1;
  }
}

namespace {

int Run(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: concord-bench-sync DATA_DIR REMOTE_APP_DEF_ID   (a populated, stopped "
                 "deployment)\n";
    return 2;
  }
  fs::path dir = fs::absolute(argv[1]);
  std::string app = argv[2];
  const auto* def = lifecycle::FindWidgetDef(app);
  if (!def || !def->remote) return Fail("unknown remoteAppDefId " + app);
  fs::path work = dir / "bench";
  fs::create_directories(work);

  testing::ConcordServer server(dir);
  if (auto s = server.Start(); !s) return Fail(s.error().message);
  auto client = server.AdminClient();
  std::ifstream pid_in(dir / "server.json");
  std::string info((std::istreambuf_iterator<char>(pid_in)), std::istreambuf_iterator<char>());
  int pid = nlohmann::json::parse(info)["pid"].get<int>();

  // Export floor: the same rows, read and dropped.
  // The application's database wherever concord.toml puts it (SQLite or PostgreSQL).
  auto db = testing::OpenTestDatabase(dir, std::string(def->application));
  if (!db) return Fail(db.error().message);
  // Every floor runs twice and the second run counts: both sides then read from a warm page
  // cache, as the measured steps after them do.
  auto start = std::chrono::steady_clock::now();
  int64_t records = 0, member_rows = 0;
  auto read_rows = [&] {
    records = member_rows = 0;
    return (*db)->InTransaction(db::TxMode::kRead, [&](db::Connection& c) -> Status {
      std::string after;
      while (true) {
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows rows,
            c.Query("SELECT community_uuid, resource_id, widget_instance_id, version, in_trash, "
                    "name, visibility, list_when_private, theme, owners_approve_content, "
                    "viewers_flag_content FROM synced_communities WHERE remote_app_def_id = $1 "
                    "AND resource_id IS NOT NULL AND community_uuid > $2 "
                    "ORDER BY community_uuid LIMIT 500",
                    app, after));
        std::string first = after, last;
        int n = 0;
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, rows.Next());
          if (!has) break;
          last = rows.Text(0);
          ++n;
        }
        if (n == 0) break;
        records += n;
        CONCORD_ASSIGN_OR_RETURN(
            db::Rows members,
            c.Query("SELECT community_uuid, user_id, role FROM synced_members WHERE "
                    "remote_app_def_id = $1 AND community_uuid > $2 AND community_uuid <= $3",
                    app, first, last));
        while (true) {
          CONCORD_ASSIGN_OR_RETURN(bool has, members.Next());
          if (!has) break;
          ++member_rows;
        }
        after = last;
        if (n < 500) break;
      }
      return Ok();
    });
  };
  if (auto warm = read_rows(); !warm) return Fail(warm.error().message);
  start = std::chrono::steady_clock::now();
  if (auto floor = read_rows(); !floor) return Fail(floor.error().message);
  double export_floor = Seconds(start);

  // The export, over HTTP into a file, as the console does it.
  fs::path file = work / (app + ".xml");
  ResetPeak(pid);
  start = std::chrono::steady_clock::now();
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    auto s = client.Download(fmt::format("/{}/api/admin/export/{}", def->application, app),
                             [&](std::string_view chunk) {
                               out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                               return true;
                             });
    if (!s) return Fail(s.error().message);
  }
  double export_time = Seconds(start);
  double export_peak = PeakMb(pid);

  // Report floor: parse the file, and read the Communities side, nothing else.
  auto source = recovery::HttpCommunitySource(client);
  int64_t parsed = 0, communities = 0;
  auto read_inputs = [&]() -> Status {
    parsed = communities = 0;
    CONCORD_ASSIGN_OR_RETURN(auto reader, xml::ExportReader::Open(file));
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(auto next, reader->Next());
      if (!next) break;
      ++parsed;
    }
    std::string after;
    while (true) {
      CONCORD_ASSIGN_OR_RETURN(auto page, source->Page(app, after));
      if (page.empty()) break;
      communities += static_cast<int64_t>(page.size());
      after = page.back().uuid;
    }
    return Ok();
  };
  if (auto warm = read_inputs(); !warm) return Fail(warm.error().message);
  start = std::chrono::steady_clock::now();
  if (auto floor = read_inputs(); !floor) return Fail(floor.error().message);
  double report_floor = Seconds(start);

  ResetPeak(getpid());
  start = std::chrono::steady_clock::now();
  auto summary = recovery::GenerateSyncReports(file, work / "reports", *source, "en", NowMillis());
  if (!summary) return Fail(summary.error().message);
  double report_time = Seconds(start);
  double report_peak = PeakMb(getpid());
  server.Stop();

  std::cout << fmt::format(
      "{} resources of {} ({} member rows; {} communities with the widget; {} MB of XML)\n"
      "export: {:7.2f} s  {:9.0f} rows/s  floor {:6.2f} s  ratio {:4.2f}  server peak {:6.1f} MB\n"
      "report: {:7.2f} s  {:9.0f} rows/s  floor {:6.2f} s  ratio {:4.2f}  peak {:6.1f} MB  "
      "({} differences, {} orphans)\n",
      records, app, member_rows, communities, fs::file_size(file) / (1 << 20), export_time,
      static_cast<double>(records) / export_time, export_floor, export_time / export_floor,
      export_peak, report_time, static_cast<double>(parsed) / report_time, report_floor,
      report_time / report_floor, report_peak, summary->differences, summary->orphans);
  return 0;
}

}  // namespace
