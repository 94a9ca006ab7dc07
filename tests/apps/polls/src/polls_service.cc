// The Polls service: a poll per community, made when the Poll widget is added, to the trash when
// it is removed; its question readable by whoever may read the community. Everything else
// (lifecycle handler, synced record, export, resource administration) is libs/remoteapp's.
#include "concord/base/clock.h"
#include "concord/base/ids.h"
#include "concord/http/server.h"
#include "concord/polls/polls.h"

namespace concord::polls {
namespace {

class PollsService final : public remoteapp::Service, remoteapp::ResourceHooks {
 public:
  explicit PollsService(const std::shared_ptr<db::Database>& database)
      : db_(database),
        app_(remoteapp::Define(Describe(), {"polls", "title", ""}), database, *this) {}

  void Mount(http::Server& server) override {
    app_.Mount(server);
    server.Get("/polls/api/polls/([^/]+)", http::Access::kCommunityRead,
               [this](const http::Request& r) -> Result<http::Response> {
                 return db_->InTransaction(
                     db::TxMode::kRead, [&](db::Connection& c) -> Result<http::Response> {
                       CONCORD_ASSIGN_OR_RETURN(
                           db::Rows rows,
                           c.Query("SELECT community_uuid, title FROM polls WHERE id = $1 AND "
                                   "trashed_at IS NULL",
                                   r.path_params[0]));
                       CONCORD_ASSIGN_OR_RETURN(bool found, rows.Next());
                       if (!found) return NotFound("no such poll");
                       CommunityUuid community(rows.Text(0));
                       std::string title = rows.Text(1);
                       CONCORD_RETURN_IF_ERROR(app_.AccessToCommunity(
                           c, "Poll", community, r.principal, "poll", r.path_params[0]));
                       return http::Response::Json(200, {{"id", r.path_params[0]},
                                                         {"communityUuid", community.value()},
                                                         {"title", title}});
                     });
               });
  }
  remoteapp::RemoteApplication& application() override { return app_; }

  Result<std::string> CreateResource(db::Connection& c, const std::string&,
                                     const lifecycle::LifecycleEvent& e) override {
    std::string id = NewUuid();
    CONCORD_RETURN_IF_ERROR(c.Execute(
        "INSERT INTO polls (id, community_uuid, title, created) VALUES ($1, $2, $3, $4)", id,
        e.community.uuid, "What should " + e.community.name + " do next?", NowMillis()));
    return id;
  }
  Status RemoveResource(db::Connection& c, const std::string&, const std::string& id) override {
    CONCORD_RETURN_IF_ERROR(
        c.Execute("UPDATE polls SET trashed_at = $2 WHERE id = $1", id, NowMillis()));
    return Ok();
  }
  Status AddSampleContent(db::Connection&, const std::string&, const std::string&,
                          const lifecycle::LifecycleEvent&) override {
    return Ok();
  }

 private:
  std::shared_ptr<db::Database> db_;
  remoteapp::RemoteApplication app_;
};

}  // namespace

std::unique_ptr<remoteapp::Service> Open(const remoteapp::ServiceContext& context) {
  return std::make_unique<PollsService>(context.database);
}

}  // namespace concord::polls
