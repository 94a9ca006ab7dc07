// The storage layer's conformance suite: written once, instantiated per backend (SQLite, and
// PostgreSQL on the suite's throwaway server, the ctest fixture `pg_server`).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "concord/db/database.h"
#include "concord/db/migration.h"
#include "concord/testing/postgres.h"

namespace concord::db {
namespace {

namespace fs = std::filesystem;

struct BackendCase {
  std::string name;
  // A URL for a fresh, empty database (relative URLs resolve against `dir`).
  std::function<Result<std::string>(const fs::path& dir)> fresh_url;
  bool postgres = false;
};

const BackendCase kBackends[] = {
    {"SqliteFile", [](const fs::path&) -> Result<std::string> { return "sqlite:test.db"; }},
    {"SqliteAbsolute",
     [](const fs::path& dir) -> Result<std::string> {
       return "sqlite:" + (dir / "abs.db").string() + "?synchronous=full";
     }},
    {"Postgres",
     [](const fs::path&) -> Result<std::string> {
       return testing::PostgresServer::FromEnvironment()->CreateDatabase("conformance");
     },
     true},
};

// The options that open a case's database (PostgreSQL: the fixture's password file).
OpenOptions OptionsFor(const BackendCase& c, const fs::path& dir) {
  OpenOptions o{.base_dir = dir};
  if (c.postgres) o.password_file = testing::PostgresServer::FromEnvironment()->password_file();
  return o;
}

class DbConformance : public ::testing::TestWithParam<BackendCase> {
 protected:
  void SetUp() override {
    if (GetParam().postgres && !testing::PostgresServer::FromEnvironment()) {
      GTEST_SKIP() << "no PostgreSQL server: run under ctest (fixture pg_server)";
    }
    dir_ = fs::temp_directory_path() /
           ("concord-db-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::create_directories(dir_);
    auto url = GetParam().fresh_url(dir_);
    ASSERT_TRUE(url) << url.error().ToString();
    url_ = *url;
    auto db = Database::Open(url_, OptionsFor(GetParam(), dir_));
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = *db;
    ASSERT_TRUE(
        Exec("CREATE TABLE parent (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL);"
             "CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES "
             "parent(id));"));
  }
  void TearDown() override {
    db_.reset();
    if (GetParam().postgres && !url_.empty()) {
      (void)testing::PostgresServer::FromEnvironment()->DropDatabase(url_);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  Status Exec(std::string_view script) {
    auto lease = db_->Acquire();
    if (!lease) return std::unexpected(lease.error());
    return (*lease)->ExecuteScript(script);
  }
  int64_t Count(std::string_view table) {
    auto lease = db_->Acquire();
    auto n = (*lease)->QueryInt(std::string("SELECT COUNT(*) FROM ") + std::string(table));
    return n && *n ? **n : -1;
  }

  static inline std::atomic<int> counter_{0};
  fs::path dir_;
  std::string url_;
  std::shared_ptr<Database> db_;
};

TEST_P(DbConformance, ValuesRoundTripIncludingNull) {
  auto lease = db_->Acquire();
  ASSERT_TRUE(lease);
  Connection& c = **lease;
  std::optional<std::string> none;
  ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name, score) VALUES ($1, $2, $3)", 1,
                        "Équipe ' ; DROP TABLE parent; --", 2.5));
  ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name, score) VALUES ($1, $2, $3)",
                        int64_t{1} << 40, "b", none));
  auto rows = c.Query("SELECT id, name, score FROM parent ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_TRUE(*rows->Next());
  EXPECT_EQ(rows->Int(0), 1);
  EXPECT_EQ(rows->Text(1), "Équipe ' ; DROP TABLE parent; --");
  EXPECT_DOUBLE_EQ(rows->Double(2), 2.5);
  ASSERT_TRUE(*rows->Next());
  EXPECT_EQ(rows->Int(0), int64_t{1} << 40);
  EXPECT_TRUE(rows->IsNull(2));
  EXPECT_FALSE(rows->OptInt(2));
  EXPECT_FALSE(*rows->Next());
}

TEST_P(DbConformance, PositionalParametersMayRepeatAndComeInAnyOrder) {
  auto lease = db_->Acquire();
  Connection& c = **lease;
  ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name) VALUES ($2, $1)", "x", 7));
  auto n =
      c.QueryInt("SELECT COUNT(*) FROM parent WHERE id = $1 AND (name = $2 OR name = $2)", 7, "x");
  ASSERT_TRUE(n);
  EXPECT_EQ(**n, 1);
}

TEST_P(DbConformance, TransactionRollsBackUnlessCommitted) {
  {
    auto s = db_->InTransaction(TxMode::kWrite, [](Connection& c) -> Status {
      CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES (1, 'a')"));
      return FailedPrecondition("changed my mind");
    });
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().message, "changed my mind");
  }
  EXPECT_EQ(Count("parent"), 0);
  {
    auto lease = db_->Acquire();
    auto tx = Transaction::Begin(**lease, TxMode::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*lease)->Execute("INSERT INTO parent (id, name) VALUES (1, 'a')"));
    // tx goes out of scope uncommitted
  }
  EXPECT_EQ(Count("parent"), 0);
  ASSERT_TRUE(db_->InTransaction(TxMode::kWrite, [](Connection& c) -> Status {
    CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES (1, 'a')"));
    return Ok();
  }));
  EXPECT_EQ(Count("parent"), 1);
}

TEST_P(DbConformance, ConstraintViolationsMapToConcordCodes) {
  auto lease = db_->Acquire();
  Connection& c = **lease;
  ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name) VALUES (1, 'a')"));
  auto dup = c.Execute("INSERT INTO parent (id, name) VALUES (2, 'a')");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  auto fk = c.Execute("INSERT INTO child (id, parent_id) VALUES (1, 99)");
  ASSERT_FALSE(fk);
  EXPECT_EQ(fk.error().code, ErrorCode::kFailedPrecondition);
  auto notnull = c.Execute("INSERT INTO parent (id, name) VALUES (3, $1)", nullptr);
  ASSERT_FALSE(notnull);
  EXPECT_EQ(notnull.error().code, ErrorCode::kFailedPrecondition);
  auto syntax = c.Execute("INSERT INTO nowhere VALUES (1)");
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::kInternal);
}

TEST_P(DbConformance, UpsertAndReturningArePortable) {
  auto lease = db_->Acquire();
  Connection& c = **lease;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        c.Execute("INSERT INTO parent (id, name, score) VALUES (1, 'a', 1) "
                  "ON CONFLICT (id) DO UPDATE SET score = parent.score + 1"));
  }
  auto rows = c.Query("UPDATE parent SET score = score * 10 WHERE id = $1 RETURNING score", 1);
  ASSERT_TRUE(rows);
  ASSERT_TRUE(*rows->Next());
  EXPECT_DOUBLE_EQ(rows->Double(0), 30.0);
}

TEST_P(DbConformance, LargeResultsStreamAndNestedQueriesWork) {
  ASSERT_TRUE(db_->InTransaction(TxMode::kWrite, [](Connection& c) -> Status {
    for (int i = 0; i < 20000; ++i) {
      CONCORD_RETURN_IF_ERROR(
          c.Execute("INSERT INTO parent (id, name) VALUES ($1, $2)", i, "n" + std::to_string(i)));
    }
    return Ok();
  }));
  auto lease = db_->Acquire();
  Connection& c = **lease;
  auto outer = c.Query("SELECT id FROM parent ORDER BY id");
  ASSERT_TRUE(outer);
  int64_t seen = 0, sum_inner = 0;
  while (true) {
    auto has = outer->Next();
    ASSERT_TRUE(has);
    if (!*has) break;
    if (seen % 5000 == 0) {
      // The same statement text while the outer cursor is still open.
      auto inner = c.QueryInt("SELECT id FROM parent ORDER BY id");
      ASSERT_TRUE(inner);
      sum_inner += **inner;
    }
    EXPECT_EQ(outer->Int(0), seen);
    ++seen;
  }
  EXPECT_EQ(seen, 20000);
  EXPECT_EQ(sum_inner, 0);
}

TEST_P(DbConformance, ConcurrentWritersFromThePoolAllSucceed) {
  constexpr int kThreads = 4, kEach = 200;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto s = db_->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
          CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES ($1, $2)",
                                            t * kEach + i, fmt::format("t{}-{}", t, i)));
          return Ok();
        });
        if (!s) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("parent"), kThreads * kEach);
}

// Group commit: many writers at once share commits; one whose `fn` fails is rolled back alone
// (what it wrote before failing included), one that throws has its exception back on its own
// thread, and every other write lands.
TEST_P(DbConformance, WritersInAGroupFailAloneAndTheRestCommit) {
  constexpr int kThreads = 8, kEach = 60;
  std::atomic<int> unexpected{0}, refused{0}, thrown{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int id = t * kEach + i;
        try {
          auto s = db_->InTransaction(TxMode::kWrite, [&](Connection& c) -> Result<int> {
            CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES ($1, $2)", id,
                                              fmt::format("w{}", id)));
            if (id % 7 == 3) return FailedPrecondition("refused after writing");
            if (id % 11 == 5) throw std::runtime_error("thrown after writing");
            return id;
          });
          if (id % 7 == 3) {
            if (!s && s.error().message == "refused after writing")
              ++refused;
            else
              ++unexpected;
          } else if (!s || *s != id) {
            ++unexpected;
          }
        } catch (const std::runtime_error& e) {
          if (id % 11 == 5 && std::string(e.what()) == "thrown after writing")
            ++thrown;
          else
            ++unexpected;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  int want_refused = 0, want_thrown = 0;
  for (int id = 0; id < kThreads * kEach; ++id) {
    if (id % 7 == 3)
      ++want_refused;
    else if (id % 11 == 5)
      ++want_thrown;
  }
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(refused.load(), want_refused);
  EXPECT_EQ(thrown.load(), want_thrown);
  EXPECT_EQ(Count("parent"), kThreads * kEach - want_refused - want_thrown);
  auto lease = db_->Acquire();
  EXPECT_EQ(*(*lease)->QueryInt("SELECT COUNT(*) FROM parent WHERE id % 7 = 3"), 0);
}

// The writers that queue while a group runs are run together next, by one of them: their `fn`
// runs on that writer's thread, in one transaction; one whose statement fails (a duplicate key:
// on PostgreSQL, the transaction is aborted until rolled back to its savepoint) fails alone.
TEST_P(DbConformance, WritersThatQueueTogetherShareOneTransaction) {
  ASSERT_TRUE(Exec("INSERT INTO parent (id, name) VALUES (1000, 'taken')"));
  std::atomic<bool> first_in{false};
  std::atomic<int> foreign_threads{0}, failures{0};
  std::thread slow([&] {
    auto s = db_->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
      first_in = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the others queue meanwhile
      CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES (1, 'slow')"));
      return Ok();
    });
    if (!s) ++failures;
  });
  while (!first_in) std::this_thread::yield();
  std::vector<std::thread> others;
  std::atomic<int> duplicate{0};
  for (int t = 2; t <= 8; ++t) {
    others.emplace_back([&, t] {
      auto owner = std::this_thread::get_id();
      int id = t == 5 ? 1000 : t;  // writer 5 hits the taken key
      auto s = db_->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
        if (std::this_thread::get_id() != owner) ++foreign_threads;
        CONCORD_RETURN_IF_ERROR(
            c.Execute("INSERT INTO parent (id, name) VALUES ($1, $2)", id, fmt::format("w{}", t)));
        return Ok();
      });
      if (t == 5) {
        if (!s && s.error().code == ErrorCode::kAlreadyExists) ++duplicate;
      } else if (!s) {
        ++failures;
      }
    });
  }
  slow.join();
  for (auto& o : others) o.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(duplicate.load(), 1);
  EXPECT_GE(foreign_threads.load(), 1) << "no writer ran in another writer's group";
  EXPECT_EQ(Count("parent"), 1 + 1 + 6);  // 'taken', the slow one, six of the seven others
}

// A write started inside a write on the same database is refused rather than left to deadlock;
// the outer one goes on and commits.
TEST_P(DbConformance, AWriteInsideAWriteIsRefused) {
  auto outer = db_->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
    CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO parent (id, name) VALUES (1, 'outer')"));
    auto inner = db_->InTransaction(TxMode::kWrite, [&](Connection& c2) -> Status {
      CONCORD_RETURN_IF_ERROR(c2.Execute("INSERT INTO parent (id, name) VALUES (2, 'inner')"));
      return Ok();
    });
    EXPECT_FALSE(inner);
    if (!inner) {
      EXPECT_EQ(inner.error().code, ErrorCode::kFailedPrecondition);
    }
    return Ok();
  });
  ASSERT_TRUE(outer) << outer.error().ToString();
  EXPECT_EQ(Count("parent"), 1);
}

// `concord populate`'s way: tuned for the load, secondary indexes dropped and rebuilt, one
// transaction; every row lands, and a failing statement fails the load (by the commit at the
// latest: PostgreSQL pipelines the statements) and leaves nothing.
TEST_P(DbConformance, BulkLoadsWriteEverythingOrNothing) {
  ASSERT_TRUE(Exec("CREATE INDEX parent_by_score ON parent (score)"));
  auto lease = db_->Acquire();
  Connection& c = **lease;
  ASSERT_TRUE(c.TuneForBulkLoad(true, 65536));
  {
    auto tx = Transaction::Begin(c, TxMode::kWrite);
    ASSERT_TRUE(tx);
    auto rebuild = c.DropSecondaryIndexes({"parent", "child"});
    ASSERT_TRUE(rebuild) << rebuild.error().ToString();
    ASSERT_EQ(rebuild->size(), 1u);  // not the unique constraint's, not the primary keys'
    EXPECT_NE(rebuild->at(0).find("parent_by_score"), std::string::npos) << rebuild->at(0);
    for (int i = 0; i < 1000; ++i) {
      ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name, score) VALUES ($1, $2, $3)", i,
                            "bulk" + std::to_string(i), 0.5 * i));
    }
    // A read in the middle sees what was written before it.
    EXPECT_EQ(**c.QueryInt("SELECT COUNT(*) FROM parent"), 1000);
    for (const auto& sql : *rebuild) ASSERT_TRUE(c.ExecuteScript(sql)) << sql;
    ASSERT_TRUE(tx->Commit());
  }
  {
    auto tx = Transaction::Begin(c, TxMode::kWrite);
    ASSERT_TRUE(tx);
    bool failed = false;
    for (int i = 1000; i < 1100 && !failed; ++i) {
      // The 50th repeats a name: a unique violation.
      std::string name = i == 1050 ? "bulk7" : "more" + std::to_string(i);
      failed = !c.Execute("INSERT INTO parent (id, name) VALUES ($1, $2)", i, name);
    }
    if (!failed) failed = !tx->Commit();
    EXPECT_TRUE(failed) << "the duplicate must fail the load";
  }
  ASSERT_TRUE(c.TuneForBulkLoad(false, 0));
  EXPECT_EQ(**c.QueryInt("SELECT COUNT(*) FROM parent"), 1000);
  ASSERT_TRUE(c.Execute("INSERT INTO parent (id, name) VALUES (5000, 'after')"));
  EXPECT_TRUE(*c.TableExists("parent"));
  EXPECT_FALSE(*c.TableExists("nowhere"));
}

constexpr Migration kGood[] = {
    {1, "init", "CREATE TABLE a (id BIGINT PRIMARY KEY);"},
    {2, "more", "CREATE TABLE b (id BIGINT PRIMARY KEY); INSERT INTO b (id) VALUES (1);"},
};

TEST_P(DbConformance, MigrationsApplyOnceInOrder) {
  ASSERT_TRUE(Migrate(*db_, MigrationList(kGood).first(1), "test"));
  EXPECT_EQ(*SchemaVersion(*db_), 1);
  ASSERT_TRUE(Migrate(*db_, kGood, "test"));
  ASSERT_TRUE(Migrate(*db_, kGood, "test"));  // idempotent
  EXPECT_EQ(*SchemaVersion(*db_), 2);
  EXPECT_EQ(Count("b"), 1);
}

TEST_P(DbConformance, MigrationsRefuseANewerDatabase) {
  ASSERT_TRUE(Migrate(*db_, kGood, "test"));
  auto s = Migrate(*db_, MigrationList(kGood).first(1), "test");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos) << s.error().message;
}

TEST_P(DbConformance, FailedMigrationChangesNothing) {
  constexpr Migration kBad[] = {
      {1, "init", "CREATE TABLE a (id BIGINT PRIMARY KEY);"},
      {2, "broken", "CREATE TABLE c (id BIGINT); THIS IS NOT SQL;"},
  };
  auto s = Migrate(*db_, kBad, "test");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("V002__broken"), std::string::npos) << s.error().message;
  EXPECT_EQ(*SchemaVersion(*db_), 1);
  EXPECT_EQ(Count("c"), -1);  // the table of the failed migration does not exist
}

TEST_P(DbConformance, MisnumberedMigrationsAreRefused) {
  constexpr Migration kGap[] = {{1, "a", "SELECT 1;"}, {3, "c", "SELECT 1;"}};
  auto s = Migrate(*db_, kGap, "test");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
}

// Backup and restore: a copy taken while another session writes is consistent, and a restore
// brings the database back to it; other sessions see the restored state once it is back online.
TEST_P(DbConformance, CopyIsConsistentAndReplaceRestoresIt) {
  ASSERT_TRUE(Exec("INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b');"));
  fs::path copy = dir_ / "copy.db";
  {
    auto lease = db_->Acquire();
    ASSERT_TRUE(lease);
    auto s = (*lease)->CopyTo(copy);
    ASSERT_TRUE(s) << s.error().ToString();
    auto again = (*lease)->CopyTo(copy);
    ASSERT_FALSE(again);  // never overwrites
    EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  }
  ASSERT_TRUE(
      Exec("INSERT INTO parent (id, name) VALUES (3, 'c'); DELETE FROM parent WHERE id = 1;"));
  EXPECT_EQ(Count("parent"), 2);

  // Taken offline: waits for a lease in use, then refuses new ones with the reason.
  {
    auto held = db_->Acquire();
    ASSERT_TRUE(held);
    auto busy = db_->Suspend("restoring", std::chrono::milliseconds(50));
    ASSERT_FALSE(busy);  // the lease did not come back in time: still online
    EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
    EXPECT_FALSE(db_->suspended());
  }
  ASSERT_TRUE(db_->Suspend("the test database is being restored", std::chrono::seconds(5)));
  auto refused = db_->Acquire();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("being restored"), std::string::npos);

  // The restore itself runs on a session of its own (the offline command's).
  {
    auto other = Database::Open(url_, OptionsFor(GetParam(), dir_));
    ASSERT_TRUE(other);
    auto lease = (*other)->Acquire();
    ASSERT_TRUE(lease);
    auto bad = (*lease)->ReplaceFrom(dir_ / "no-such.db");
    EXPECT_FALSE(bad);
    std::ofstream(dir_ / "junk.db")
        << "this is not a database, but long enough to look like one " << std::string(600, 'x');
    auto junk = (*lease)->ReplaceFrom(dir_ / "junk.db");
    EXPECT_FALSE(junk);
    auto s = (*lease)->ReplaceFrom(copy);
    ASSERT_TRUE(s) << s.error().ToString();
  }
  db_->Resume();
  EXPECT_EQ(Count("parent"), 2);
  auto lease = db_->Acquire();
  ASSERT_TRUE(lease);
  auto rows = (*lease)->Query("SELECT name FROM parent ORDER BY id");
  ASSERT_TRUE(rows);
  std::vector<std::string> names;
  while (*rows->Next()) names.push_back(rows->Text(0));
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, DbConformance, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param.name; });

// Write transactions take the pool's writer connection; with a pool of one (SQLite's
// ":memory:"), readers and writers share that connection in turn, and a suspension still finds
// every connection back, the writer's included.
TEST(DbPool, TheWriterConnectionIsSharedWhenThePoolHasOne) {
  auto db = Database::Open("sqlite::memory:", {});
  ASSERT_TRUE(db) << db.error().ToString();
  auto write = [&](int id) {
    return (*db)->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
      CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO t (id) VALUES ($1)", id));
      return Ok();
    });
  };
  {
    auto lease = (*db)->Acquire();
    ASSERT_TRUE(lease);
    ASSERT_TRUE((*lease)->ExecuteScript("CREATE TABLE t (id INTEGER PRIMARY KEY)"));
  }
  ASSERT_TRUE(write(1));
  {
    auto lease = (*db)->Acquire();  // the pool's one connection, idle as the writer's
    ASSERT_TRUE(lease);
    EXPECT_EQ(*(*lease)->QueryInt("SELECT COUNT(*) FROM t"), 1);
  }
  ASSERT_TRUE(write(2));
  ASSERT_TRUE((*db)->Suspend("a restore", std::chrono::milliseconds(500)));
  EXPECT_FALSE(write(3));
  (*db)->Resume();
  // ":memory:" is gone with its connection: the table is too. The pool opens a fresh one.
  auto lease = (*db)->Acquire();
  ASSERT_TRUE(lease);
  EXPECT_FALSE(*(*lease)->TableExists("t"));
}

// Many writers at once wait for one another without failing and without SQLite's busy sleeps;
// a reader in between sees only committed rows.
TEST(DbPool, ManyWritersTakeTurnsWhileReadersRead) {
  fs::path dir = fs::temp_directory_path() / ("concord-db-pool-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto db = Database::Open("sqlite:pool.db", {.base_dir = dir});
  ASSERT_TRUE(db) << db.error().ToString();
  {
    auto lease = (*db)->Acquire();
    ASSERT_TRUE((*lease)->ExecuteScript("CREATE TABLE t (id INTEGER PRIMARY KEY, pair INTEGER)"));
  }
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> failures{0}, torn{0};
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      auto n = (*db)->InTransaction(
          TxMode::kRead, [&](Connection& c) { return c.QueryInt("SELECT COUNT(*) FROM t"); });
      if (!n || (**n) % 2 != 0) ++torn;  // each write adds two rows
    }
  });
  std::vector<std::thread> writers;
  writers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        int id = (t * kEach + i) * 2;
        auto s = (*db)->InTransaction(TxMode::kWrite, [&](Connection& c) -> Status {
          CONCORD_RETURN_IF_ERROR(c.Execute("INSERT INTO t (id, pair) VALUES ($1, $1)", id));
          CONCORD_RETURN_IF_ERROR(
              c.Execute("INSERT INTO t (id, pair) VALUES ($1, $2)", id + 1, id));
          return Ok();
        });
        if (!s) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(torn.load(), 0);
  auto lease = (*db)->Acquire();
  EXPECT_EQ(*(*lease)->QueryInt("SELECT COUNT(*) FROM t"), kThreads * kEach * 2);
  lease.value().reset();
  db->reset();
  fs::remove_all(dir);
}

TEST(DbOpen, UnknownSchemeNamesTheAcceptedOnes) {
  auto db = Database::Open("mysql://localhost/x", {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(db.error().accepted, (std::vector<std::string>{"sqlite:", "postgresql:"}));
}

TEST(DbOpen, UnopenablePathIsUnavailable) {
  auto db = Database::Open("sqlite:/nonexistent-dir/x/y.db", {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
}

TEST(DbOpen, UnknownSqliteOptionIsRejected) {
  auto db = Database::Open("sqlite::memory:?journal=off", {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
}

// PostgreSQL only: what an administrator meets when connecting (docs/deployment.md).
class PostgresOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pg = testing::PostgresServer::FromEnvironment();
    if (!pg) GTEST_SKIP() << "no PostgreSQL server: run under ctest (fixture pg_server)";
    pg_ = *pg;
    auto url = pg_.CreateDatabase("open");
    ASSERT_TRUE(url) << url.error().ToString();
    url_ = *url;
    dir_ = fs::temp_directory_path() / ("concord-pg-open-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!url_.empty()) (void)pg_.DropDatabase(url_);
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path WritePassword(const std::string& name, const std::string& password, fs::perms mode) {
    fs::path f = dir_ / name;
    std::ofstream(f) << password << "\n";
    fs::permissions(f, mode);
    return f;
  }

  testing::PostgresServer pg_;
  std::string url_;
  fs::path dir_;
};

TEST_F(PostgresOpen, APasswordFileReadableByOthersIsRefused) {
  std::ifstream in(pg_.password_file());
  std::string password;
  std::getline(in, password);
  auto f = WritePassword("pw", password,
                         fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto db = Database::Open(url_, {.password_file = f});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(db.error().message.find("chmod 600"), std::string::npos) << db.error().message;
  EXPECT_EQ(db.error().message.find(password), std::string::npos);
}

TEST_F(PostgresOpen, RefusedCredentialsNameTheDatabaseButNotThePassword) {
  auto f = WritePassword("wrong", "not-the-password", fs::perms::owner_read);
  auto db = Database::Open(url_, {.password_file = f});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(db.error().message.find(url_), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("password authentication failed"), std::string::npos)
      << db.error().message;
  EXPECT_EQ(db.error().message.find("not-the-password"), std::string::npos);
}

TEST_F(PostgresOpen, AnUnreachableServerIsUnavailable) {
  auto db = Database::Open("postgresql://concord@127.0.0.1:1/x?connect_timeout=2", {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(db.error().message.find("127.0.0.1:1"), std::string::npos) << db.error().message;
}

TEST_F(PostgresOpen, APasswordInTheUrlNeverReachesMessages) {
  std::string with_secret = url_;
  with_secret.insert(with_secret.find("concord@") + 7, ":s3cret-value");
  auto db = Database::Open(with_secret + "?sslmode=disable&password=other-secret",
                           {.password_file = pg_.password_file()});
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ((*db)->display_url().find("s3cret"), std::string::npos) << (*db)->display_url();
  EXPECT_EQ((*db)->display_url().find("other-secret"), std::string::npos);
  EXPECT_NE((*db)->display_url().find("sslmode=disable"), std::string::npos);
}

TEST_F(PostgresOpen, AMalformedUriIsRefusedWithoutRepeatingIt) {
  auto db = Database::Open("postgresql://concord:s3cr%zzet@127.0.0.1/x", {});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(db.error().message.find("s3cr"), std::string::npos) << db.error().message;
  auto sslpw = Database::Open(url_ + "?sslpassword=k3y&pass%77ord=other&connect_timeout=5",
                              {.password_file = pg_.password_file()});
  ASSERT_TRUE(sslpw) << sslpw.error().ToString();
  EXPECT_EQ((*sslpw)->display_url().find("k3y"), std::string::npos) << (*sslpw)->display_url();
  EXPECT_EQ((*sslpw)->display_url().find("other"), std::string::npos) << (*sslpw)->display_url();
  EXPECT_NE((*sslpw)->display_url().find("connect_timeout=5"), std::string::npos);
}

TEST_F(PostgresOpen, ADatabaseSortingByLocaleIsRefused) {
  auto maintenance =
      Database::Open(pg_.base_url() + "postgres", {.password_file = pg_.password_file()});
  ASSERT_TRUE(maintenance);
  auto lease = (*maintenance)->Acquire();
  std::string name = "icu_" + std::to_string(::getpid());
  ASSERT_TRUE((*lease)->ExecuteScript(
      "CREATE DATABASE " + name + " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"));
  auto db = Database::Open(pg_.base_url() + name, {.password_file = pg_.password_file()});
  (void)(*lease)->ExecuteScript("DROP DATABASE " + name);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(db.error().message.find("LC_COLLATE 'C'"), std::string::npos) << db.error().message;
}

TEST_F(PostgresOpen, ALostConnectionIsUnavailableAndThePoolReplacesIt) {
  auto db = Database::Open(url_, {.max_connections = 1, .password_file = pg_.password_file()});
  ASSERT_TRUE(db) << db.error().ToString();
  int64_t pid = 0;
  {
    auto lease = (*db)->Acquire();
    ASSERT_TRUE(lease);
    pid = *(*(*lease)->QueryInt("SELECT pg_backend_pid()"));
  }
  // The server ends that session (as a restart or a DBA's pg_terminate_backend would).
  auto admin = Database::Open(pg_.base_url() + "postgres", {.password_file = pg_.password_file()});
  ASSERT_TRUE(admin);
  ASSERT_TRUE((*(*admin)->Acquire())->QueryInt("SELECT pg_terminate_backend($1::int)::int", pid));
  {
    auto lease = (*db)->Acquire();
    ASSERT_TRUE(lease);
    auto lost = (*lease)->QueryInt("SELECT 1");
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable) << lost.error().ToString();
  }
  auto lease = (*db)->Acquire();
  ASSERT_TRUE(lease);
  auto again = (*lease)->QueryInt("SELECT pg_backend_pid()");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_NE(**again, pid);
}

}  // namespace
}  // namespace concord::db
