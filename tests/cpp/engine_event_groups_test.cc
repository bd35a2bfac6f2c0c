// Event group markers: the engine copies the markers a workflow command carries onto every
// history event that command writes to its run, and onto no other event.
#include <gtest/gtest.h>

#include "engine_test_helpers.h"

namespace durable::testing {
namespace {

v1::EventGroupMarker LabelMarker(const std::string& id) {
  v1::EventGroupMarker m;
  m.mutable_label()->set_id(id);
  m.mutable_label()->mutable_label()->set_data("\"" + id + " label\"");
  return m;
}

v1::EventGroupMarker InboundEventMarker(int64_t event_id) {
  v1::EventGroupMarker m;
  m.mutable_inbound_event()->set_inbound_event_id(event_id);
  return m;
}

v1::Command WithMarkers(v1::Command c, std::vector<v1::EventGroupMarker> markers) {
  for (auto& m : markers) *c.add_event_group_markers() = std::move(m);
  return c;
}

// "id:kind/value" for each marker of `ev`, comma separated.
std::string Markers(const v1::HistoryEvent& ev) {
  std::string out;
  for (const auto& m : ev.event_group_markers()) {
    if (!out.empty()) out += ",";
    if (m.has_label()) out += "label/" + m.label().id() + "/" + m.label().label().data();
    if (m.has_inbound_event()) out += "event/" + std::to_string(m.inbound_event().inbound_event_id());
    if (m.has_inbound_update()) out += "update/" + m.inbound_update().inbound_update_id();
  }
  return out;
}

// "<id> <Name>[markers]" for each event that carries markers.
std::string Marked(const v1::History& h) {
  std::string out;
  for (const auto& ev : h.events()) {
    if (ev.event_group_markers().empty()) continue;
    if (!out.empty()) out += "; ";
    out += std::to_string(ev.event_id()) + " " + EventName(ev) + "[" + Markers(ev) + "]";
  }
  return out;
}

using EngineEventGroupsTest = VirtualClockEngineTest;

TEST_F(EngineEventGroupsTest, MarkersOfACommandAreCopiedOntoItsEventOnly) {
  Start(*engine_, "wf");
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(),
                          {WithMarkers(ScheduleActivity(1), {LabelMarker("g1"), InboundEventMarker(1)}),
                           StartTimer(1, 1'000'000)})
                  .ok());
  EXPECT_EQ(H(*engine_, "wf"),
            "1 WorkflowExecutionStarted, 2 WorkflowTaskScheduled, 3 WorkflowTaskStarted, "
            "4 WorkflowTaskCompleted, 5 ActivityTaskScheduled, 6 TimerStarted");
  EXPECT_EQ(Marked(GetHistory(*engine_, "wf")),
            "5 ActivityTaskScheduled[label/g1/\"g1 label\",event/1]");
  // The activity's own events (written by the activity, not by a command) carry none.
  auto a = PollAct(*engine_);
  ASSERT_TRUE(CompleteAct(*engine_, a.task_token()).ok());
  auto t2 = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(),
                          {WithMarkers(CompleteWorkflow(), {LabelMarker("end")})})
                  .ok());
  auto h = GetHistory(*engine_, "wf");
  EXPECT_EQ(Marked(h),
            "5 ActivityTaskScheduled[label/g1/\"g1 label\",event/1]; " +
                std::to_string(h.events(h.events_size() - 1).event_id()) +
                " WorkflowExecutionCompleted[label/end/\"end label\"]");
}

TEST_F(EngineEventGroupsTest, EveryEventACommandWritesCarriesItsMarkers) {
  Start(*engine_, "wf");
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(), {ScheduleActivity(1)}).ok());
  // Cancelling the activity before it started writes CancelRequested and Canceled.
  ASSERT_TRUE(Signal(*engine_, "wf", "go").ok());
  auto t2 = PollWft(*engine_);
  v1::Command cancel;
  cancel.mutable_request_cancel_activity()->set_seq(1);
  v1::EventGroupMarker update;
  update.mutable_inbound_update()->set_inbound_update_id("u-1");
  ASSERT_TRUE(CompleteWft(*engine_, t2.task_token(), {WithMarkers(cancel, {update})}).ok());
  EXPECT_EQ(Marked(GetHistory(*engine_, "wf")),
            "10 ActivityTaskCancelRequested[update/u-1]; 11 ActivityTaskCanceled[update/u-1]");
}

TEST_F(EngineEventGroupsTest, AnEmptyMarkerIsDropped) {
  Start(*engine_, "wf");
  auto t = PollWft(*engine_);
  ASSERT_TRUE(CompleteWft(*engine_, t.task_token(),
                          {WithMarkers(StartTimer(1, 1'000'000), {v1::EventGroupMarker(), LabelMarker("g")})})
                  .ok());
  auto h = GetHistory(*engine_, "wf");
  EXPECT_EQ(Marked(h), "5 TimerStarted[label/g/\"g label\"]");
  EXPECT_EQ(h.events(4).event_group_markers_size(), 1);
}

}  // namespace
}  // namespace durable::testing
