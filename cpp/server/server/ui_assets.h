// The web UI's files (cpp/server/ui/), embedded in durable-server at build time by
// cmake/embed_ui_assets.cmake. Immutable; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace durable {

struct UiAsset {
  const char* path;  // "/index.html", "/js/app.js", ...; nullptr ends kUiAssets
  const char* data;
  std::size_t size;
};

extern const UiAsset kUiAssets[];

// The asset at `path` ("/" = "/index.html"), nullptr if there is none.
const UiAsset* FindUiAsset(std::string_view path);

}  // namespace durable
