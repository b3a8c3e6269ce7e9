#pragma once
// `BodyPipe` runs a push-style body writer — a function that produces a response body by calling
// `write(chunk)` again and again, such as one that serializes the batches `lake::Scan` hands to
// its callback — on a thread of its own, and lets the server pull the chunks one at a time as a
// `BodyProducer` (http.h). It bridges callback APIs to streamed responses without buffering the
// body.
//
// Memory: `write` blocks while the previous chunk has not been taken, so at most one chunk waits
// in the pipe (besides the one the writer is building and the one the server is writing).
// Cancellation: destroying the pipe makes the blocked `write`, and every later one, return
// Cancelled — the body function should give up and return it — and then joins the thread, so
// the destructor waits until the body function notices (at most until its next `write`).
// Thread-safety: `Next` may be called from one thread at a time (any thread); the body function
// runs on the pipe's thread and must not outlive what it captures (the pipe joins it).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/api/http.h"

namespace lepton::api {

class BodyPipe {
 public:
  // Hands `chunk` to the reader; blocks until the previous chunk was taken. Cancelled once the
  // pipe is being destroyed.
  using ChunkWriter = std::function<absl::Status(std::string chunk)>;
  // Writes the whole body through `write`; returns OK when it is complete, or an error.
  using BodyFunction = std::function<absl::Status(const ChunkWriter& write)>;

  // Starts `body` on a new thread.
  explicit BodyPipe(BodyFunction body);
  ~BodyPipe();  // cancels and joins; see the class comment
  BodyPipe(const BodyPipe&) = delete;
  BodyPipe& operator=(const BodyPipe&) = delete;

  // Blocks until the next chunk is written (returns it), or the body function has returned and
  // every chunk was taken: std::nullopt if it returned OK, its error otherwise (again on every
  // later call). Chunks written before an error are all returned before the error.
  absl::StatusOr<std::optional<std::string>> Next();

  // A producer for `HttpResponse::producer` that pulls from `pipe` (and keeps it alive).
  static BodyProducer AsProducer(std::shared_ptr<BodyPipe> pipe);

 private:
  absl::Status Put(std::string chunk);

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::string> slot_;  // guarded by mu_
  bool finished_ = false;            // guarded by mu_: the body function returned
  absl::Status status_;              // guarded by mu_: what it returned
  bool cancelled_ = false;           // guarded by mu_
  std::thread thread_;               // last: starts once the members above exist
};

}  // namespace lepton::api
