#include "server/ui_assets.h"

namespace durable {

const UiAsset* FindUiAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (const UiAsset* a = kUiAssets; a->path; ++a) {
    if (path == a->path) return a;
  }
  return nullptr;
}

}  // namespace durable
