#include "lepton/api/body_pipe.h"

#include <utility>

namespace lepton::api {

BodyPipe::BodyPipe(BodyFunction body)
    : thread_([this, body = std::move(body)] {
        absl::Status s;
        try {
          s = body([this](std::string chunk) { return Put(std::move(chunk)); });
        } catch (const std::exception& e) {
          // Body functions return errors as values; a throw must still end the stream.
          s = absl::InternalError(e.what());
        }
        std::lock_guard<std::mutex> lock(mu_);
        finished_ = true;
        status_ = std::move(s);
        cv_.notify_all();
      }) {}

BodyPipe::~BodyPipe() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

absl::Status BodyPipe::Put(std::string chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !slot_.has_value() || cancelled_; });
  if (cancelled_) return absl::CancelledError("the response stream was abandoned");
  slot_ = std::move(chunk);
  cv_.notify_all();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> BodyPipe::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return slot_.has_value() || finished_; });
  if (slot_.has_value()) {
    std::optional<std::string> chunk = std::move(slot_);
    slot_.reset();
    cv_.notify_all();
    return chunk;
  }
  if (!status_.ok()) return status_;
  return std::optional<std::string>();
}

BodyProducer BodyPipe::AsProducer(std::shared_ptr<BodyPipe> pipe) {
  return [pipe = std::move(pipe)] { return pipe->Next(); };
}

}  // namespace lepton::api
