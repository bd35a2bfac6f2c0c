// libFuzzer target: the replay core's decoding of histories and of workflow code's commands.
// Input: [u16 length][History bytes] then any number of [u16 length][WorkflowActivationCompletion
// bytes]. The history is fed to a WorkflowReplayer; each activation it hands out is answered
// with the next completion (an empty success when none is left). Whatever the bytes, the
// replayer returns a Status — never a crash, a hang or a sanitizer report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "durable/replay.h"

namespace {

// Takes the next length-prefixed chunk; false when the input is used up.
bool Next(const uint8_t*& p, const uint8_t* end, std::string* out) {
  if (end - p < 2) return false;
  size_t n = static_cast<size_t>(p[0]) | (static_cast<size_t>(p[1]) << 8);
  p += 2;
  n = std::min<size_t>(n, static_cast<size_t>(end - p));
  out->assign(reinterpret_cast<const char*>(p), n);
  p += n;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  std::string chunk;
  if (!Next(p, end, &chunk)) return 0;
  durable::v1::History history;
  if (!history.ParseFromString(chunk)) return 0;
  durable::WorkflowReplayer replayer("wf-fuzz", "run-fuzz");
  if (!replayer.AddHistory(history).ok()) return 0;
  for (int i = 0; i < 64; ++i) {  // a bound: each activation needs a completion
    auto act = replayer.NextActivation();
    if (!act.ok() || !act.value()) break;
    durable::v1::WorkflowActivationCompletion completion;
    if (Next(p, end, &chunk)) {
      if (!completion.ParseFromString(chunk)) completion.Clear();
    }
    if (!completion.has_successful() && !completion.has_failed()) completion.mutable_successful();
    completion.set_run_id("run-fuzz");
    if (!replayer.Complete(completion).ok()) break;
  }
  (void)replayer.TakeCommands();
  return 0;
}
