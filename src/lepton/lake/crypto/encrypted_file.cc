#include "lepton/lake/crypto/encrypted_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::crypto {
namespace {

constexpr std::string_view kMagic = "LEPTENC1";
constexpr size_t kHeaderBytes = crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kOverheadBytes = crypto_secretstream_xchacha20poly1305_ABYTES;

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  const int e = errno;
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(e)));
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

class EncryptedFileSink : public parquet::ByteSink {
 public:
  EncryptedFileSink(std::string path, std::shared_ptr<const DataKey> key)
      : path_(std::move(path)), key_(std::move(key)) {}
  ~EncryptedFileSink() override { Abort(); }

  absl::Status Start() {
    if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialize");
    temp_path_ = StrCat(path_, ".tmp-", static_cast<int64_t>(::getpid()), "-",
                        HexEncode(RandomBytes(6)));
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) return ErrnoError("creating", temp_path_);
    unsigned char header[kHeaderBytes];
    crypto_secretstream_xchacha20poly1305_init_push(&state_, header, key_->key().data());
    LEPTON_RETURN_IF_ERROR(Write(kMagic));
    return Write(std::string_view(reinterpret_cast<const char*>(header), sizeof(header)));
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return absl::FailedPreconditionError(StrCat("writing ", path_, ": closed"));
    // A full chunk goes out only once more data follows: the FINAL chunk is empty only for an
    // empty file.
    while (!data.empty()) {
      const size_t take = std::min(data.size(), kChunkBytes - pending_.size());
      pending_.append(data.substr(0, take));
      data.remove_prefix(take);
      if (pending_.size() == kChunkBytes && !data.empty()) {
        LEPTON_RETURN_IF_ERROR(EmitChunk(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return absl::FailedPreconditionError(StrCat("writing ", path_, ": closed"));
    LEPTON_RETURN_IF_ERROR(EmitChunk(crypto_secretstream_xchacha20poly1305_TAG_FINAL));
    if (::fsync(fd_) != 0) return ErrnoError("fsync", temp_path_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      absl::Status s = ErrnoError("closing", temp_path_);
      ::unlink(temp_path_.c_str());
      return s;
    }
    if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
      absl::Status s = ErrnoError("renaming to", path_);
      ::unlink(temp_path_.c_str());
      return s;
    }
    const size_t slash = path_.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    const int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return absl::OkStatus();
  }

  void Abort() override {
    sodium_memzero(pending_.data(), pending_.size());
    pending_.clear();
    sodium_memzero(&state_, sizeof(state_));
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(temp_path_.c_str());
      fd_ = -1;
    }
  }

 private:
  absl::Status Write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("writing", temp_path_);
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status EmitChunk(unsigned char tag) {
    cipher_.resize(pending_.size() + kOverheadBytes);
    unsigned long long len = 0;
    crypto_secretstream_xchacha20poly1305_push(
        &state_, reinterpret_cast<unsigned char*>(cipher_.data()), &len, Bytes(pending_),
        pending_.size(), Bytes(kMagic), kMagic.size(), tag);
    sodium_memzero(pending_.data(), pending_.size());
    pending_.clear();
    return Write(std::string_view(cipher_.data(), static_cast<size_t>(len)));
  }

  std::string path_;
  std::string temp_path_;
  std::shared_ptr<const DataKey> key_;
  int fd_ = -1;
  crypto_secretstream_xchacha20poly1305_state state_{};
  std::string pending_;  // plaintext not yet encrypted (< one chunk)
  std::string cipher_;
};

}  // namespace

bool IsEncryptedDataFile(std::string_view name) { return name.ends_with(kEncryptedSuffix); }

absl::StatusOr<std::unique_ptr<parquet::ByteSink>> OpenEncryptedFile(
    const std::string& path, std::shared_ptr<const DataKey> key) {
  if (key == nullptr) return absl::InvalidArgumentError(StrCat("writing ", path, ": no data key"));
  auto sink = std::make_unique<EncryptedFileSink>(path, std::move(key));
  LEPTON_RETURN_IF_ERROR(sink->Start());
  return std::unique_ptr<parquet::ByteSink>(std::move(sink));
}

absl::StatusOr<std::string> ReadEncryptedFile(const std::string& path, const DataKey& key) {
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialize");
  LEPTON_ASSIGN_OR_RETURN(std::string cipher, ReadFile(path));
  const auto corrupt = [&](std::string_view why) {
    return absl::DataLossError(StrCat("encrypted data file ", path, ": ", why));
  };
  if (cipher.size() < kMagic.size() + kHeaderBytes + kOverheadBytes ||
      std::string_view(cipher).substr(0, kMagic.size()) != kMagic) {
    return corrupt("not a Lepton encrypted file (bad magic or too short)");
  }
  crypto_secretstream_xchacha20poly1305_state state;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&state, Bytes(cipher) + kMagic.size(),
                                                      key.key().data()) != 0) {
    return corrupt("bad stream header");
  }
  std::string plain;
  plain.reserve(cipher.size());
  size_t pos = kMagic.size() + kHeaderBytes;
  bool final_seen = false;
  std::string chunk(kChunkBytes, '\0');
  while (pos < cipher.size()) {
    if (final_seen) return corrupt("data after the final chunk");
    const size_t n = std::min(cipher.size() - pos, kChunkBytes + kOverheadBytes);
    if (n < kOverheadBytes) return corrupt("truncated chunk");
    unsigned long long len = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            &state, reinterpret_cast<unsigned char*>(chunk.data()), &len, &tag,
            Bytes(cipher) + pos, n, Bytes(kMagic), kMagic.size()) != 0) {
      sodium_memzero(&state, sizeof(state));
      return corrupt(StrCat("chunk at byte ", pos,
                            " fails authentication (tampered, truncated, or another data key)"));
    }
    plain.append(chunk.data(), static_cast<size_t>(len));
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    pos += n;
  }
  sodium_memzero(&state, sizeof(state));
  sodium_memzero(chunk.data(), chunk.size());
  if (!final_seen) return corrupt("truncated (no final chunk)");
  return plain;
}

}  // namespace lepton::lake::crypto
