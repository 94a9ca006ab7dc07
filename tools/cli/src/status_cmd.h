#pragma once
// `concord status`: whether Concord answers, and, from a Communities node, every service and
// node of the deployment (GET /communities/api/admin/deployment).

#include <string>

namespace concord::cli {

// Exit 0: the server answers and every process of the deployment is up; 1: one is down (or the
// server does not answer); 2: bad input.
int StatusCommand(const std::string& data_dir, bool json);

}  // namespace concord::cli
