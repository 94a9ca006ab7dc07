#pragma once
// Who is calling: the signed-in user a request (or a domain rule) acts for. The HTTP edge
// (libs/http) establishes it; domain code reads it without knowing about HTTP.

#include <string>

#include "concord/base/ids.h"

namespace concord {

struct Principal {
  UserId id;
  std::string login;
  bool admin = false;
};

}  // namespace concord
