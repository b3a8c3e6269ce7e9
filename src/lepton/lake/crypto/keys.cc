#include "lepton/lake/crypto/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "lepton/base/crypto.h"
#include "lepton/base/files.h"
#include "lepton/base/json.h"
#include "lepton/base/status.h"
#include "lepton/base/strings.h"

namespace lepton::lake::crypto {
namespace {

constexpr char kKeyFileFormat[] = "lepton-table-key";
constexpr char kWrapAlgorithm[] = "xchacha20poly1305-ietf";

void InitSodium() {
  static const int init = sodium_init();  // thread-safe, idempotent; < 0 only without entropy
  LEPTON_CHECK(init >= 0);
}

absl::Status ErrnoError(std::string_view what, const std::string& path) {
  const int e = errno;
  return absl::InternalError(StrCat(what, " ", path, ": ", std::strerror(e)));
}

// Additional data bound to a wrapped key: the format and the wrapping key's id.
std::string WrapAd(std::string_view master_key_id) {
  return StrCat(kKeyFileFormat, "-v1|", master_key_id);
}

absl::StatusOr<std::string> HexDecode(std::string_view hex, std::string_view what) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != out.size()) {
    return absl::DataLossError(StrCat(what, " is not valid hex"));
  }
  return out;
}

// Creates `path` with `data` and `mode` unless it exists; never replaces an existing file.
// Returns true when this call created it.
absl::StatusOr<bool> CreateFileExclusively(const std::string& path, std::string_view data,
                                           int mode) {
  const std::string tmp = StrCat(path, ".tmp-", HexEncode(RandomBytes(8)));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("creating", tmp);
  std::string_view rest = data;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status s = ErrnoError("writing", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    absl::Status s = ErrnoError("syncing", tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  // link() fails with EEXIST instead of replacing: the first writer's key wins.
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return false;
    errno = link_errno;
    return ErrnoError("creating", path);
  }
  const std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos
                                             ? 0
                                             : path.find_last_of('/'));
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

absl::StatusOr<MasterKey> ReadKeyFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::NotFoundError(StrCat("master key file ", path, " not found"));
    return ErrnoError("stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        StrCat("master key file ", path, " is accessible to group or others (mode 0",
               (st.st_mode >> 6) & 7, (st.st_mode >> 3) & 7, st.st_mode & 7, "); run chmod 600 ",
               path));
  }
  LEPTON_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto key = MasterKey::Parse(text, path);
  sodium_memzero(text.data(), text.size());
  if (!key.ok()) return Annotate(key.status(), StrCat("master key file ", path));
  return key;
}

}  // namespace

SecretKey SecretKey::Generate() {
  InitSodium();
  SecretKey k;
  randombytes_buf(k.bytes_.data(), k.bytes_.size());
  return k;
}

absl::StatusOr<SecretKey> SecretKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kKeyBytes) {
    return absl::InvalidArgumentError(
        StrCat("a key has ", kKeyBytes, " bytes, not ", bytes.size()));
  }
  SecretKey k;
  std::memcpy(k.bytes_.data(), bytes.data(), kKeyBytes);
  return k;
}

SecretKey::~SecretKey() { sodium_memzero(bytes_.data(), bytes_.size()); }

MasterKey::MasterKey(SecretKey key, std::string source)
    : key_(std::move(key)), source_(std::move(source)) {
  InitSodium();
  static constexpr char kIdContext[] = "lepton master key id v1";
  unsigned char id[8];
  crypto_generichash(id, sizeof(id), reinterpret_cast<const unsigned char*>(kIdContext),
                     sizeof(kIdContext) - 1, key_.data(), kKeyBytes);
  id_ = HexEncode(std::string_view(reinterpret_cast<const char*>(id), sizeof(id)));
}

absl::StatusOr<MasterKey> MasterKey::Parse(std::string_view text, std::string source) {
  InitSodium();
  text = StripWhitespace(text);
  unsigned char buf[kKeyBytes + 16];
  size_t len = 0;
  bool ok = false;
  if (text.size() == 2 * kKeyBytes) {
    ok = sodium_hex2bin(buf, sizeof(buf), text.data(), text.size(), nullptr, &len, nullptr) == 0 &&
         len == kKeyBytes;
  }
  for (const int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                            sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    if (ok) break;
    ok = sodium_base642bin(buf, sizeof(buf), text.data(), text.size(), nullptr, &len, nullptr,
                           variant) == 0 &&
         len == kKeyBytes;
  }
  if (!ok) {
    sodium_memzero(buf, sizeof(buf));
    return absl::InvalidArgumentError(
        "a master key must be 64 hex characters or the base64 of 32 bytes "
        "(generate one with: openssl rand -hex 32)");
  }
  auto key = SecretKey::FromBytes(std::string_view(reinterpret_cast<const char*>(buf), kKeyBytes));
  sodium_memzero(buf, sizeof(buf));
  LEPTON_RETURN_IF_ERROR(key.status());
  return MasterKey(std::move(*key), std::move(source));
}

absl::StatusOr<std::optional<MasterKey>> LoadMasterKey(const MasterKeySources& sources) {
  if (sources.key) {
    auto key = MasterKey::Parse(*sources.key, kMasterKeyEnv);
    if (!key.ok()) return Annotate(key.status(), kMasterKeyEnv);
    return std::optional<MasterKey>(std::move(*key));
  }
  if (sources.key_file) {
    LEPTON_ASSIGN_OR_RETURN(MasterKey key, ReadKeyFile(*sources.key_file));
    return std::optional<MasterKey>(std::move(key));
  }
  if (sources.default_key_file.empty()) return std::optional<MasterKey>();
  if (!PathExists(sources.default_key_file)) {
    if (!sources.create_if_missing) return std::optional<MasterKey>();
    InitSodium();
    SecretKey fresh = SecretKey::Generate();
    std::string hex = HexEncode(
        std::string_view(reinterpret_cast<const char*>(fresh.data()), kKeyBytes)) + "\n";
    auto created = CreateFileExclusively(sources.default_key_file, hex, 0600);
    sodium_memzero(hex.data(), hex.size());
    LEPTON_RETURN_IF_ERROR(created.status());
  }
  LEPTON_ASSIGN_OR_RETURN(MasterKey key, ReadKeyFile(sources.default_key_file));
  return std::optional<MasterKey>(std::move(key));
}

absl::StatusOr<std::optional<MasterKey>> LoadMasterKeyFromEnvironment(const std::string& home,
                                                                      bool create_if_missing) {
  MasterKeySources sources;
  if (const char* v = std::getenv(kMasterKeyEnv); v != nullptr && *v != '\0') sources.key = v;
  if (const char* v = std::getenv(kMasterKeyFileEnv); v != nullptr && *v != '\0') {
    sources.key_file = v;
  }
  sources.default_key_file = home + "/master.key";
  sources.create_if_missing = create_if_missing;
  return LoadMasterKey(sources);
}

bool HasTableKey(const std::string& dir) { return PathExists(StrCat(dir, "/", kTableKeyFile)); }

absl::StatusOr<std::shared_ptr<const DataKey>> LoadTableKey(const std::string& dir,
                                                            const MasterKey& master,
                                                            std::string_view table) {
  InitSodium();
  const std::string path = StrCat(dir, "/", kTableKeyFile);
  auto text = ReadFile(path);
  if (absl::IsNotFound(text.status())) {
    return absl::NotFoundError(StrCat("table ", table, " has no data key (", path, ")"));
  }
  LEPTON_RETURN_IF_ERROR(text.status());
  const auto damaged = [&](std::string_view why) {
    return absl::DataLossError(StrCat("data key file ", path, " of ", table, " is damaged: ", why));
  };
  auto json = ParseJson(*text);
  if (!json.ok() || !json->is_object()) return damaged("not a JSON object");
  const Json& j = *json;
  for (const char* field : {"format", "algorithm", "master_key_id", "nonce", "wrapped_key"}) {
    if (!j.contains(field) || !j[field].is_string()) return damaged(StrCat("no ", field));
  }
  if (j["format"] != kKeyFileFormat || j["algorithm"] != kWrapAlgorithm) {
    return damaged("unknown format or algorithm");
  }
  const std::string wrapped_by = j["master_key_id"].get<std::string>();
  if (wrapped_by != master.id()) {
    return absl::FailedPreconditionError(StrCat(
        "dataset ", table, " is encrypted with master key ", wrapped_by,
        ", but the configured master key", master.source().empty() ? "" : " (from ",
        master.source(), master.source().empty() ? "" : ")", " is ", master.id(),
        "; set LEPTON_MASTER_KEY (or LEPTON_MASTER_KEY_FILE) to the key the dataset was written "
        "with"));
  }
  auto nonce = HexDecode(j["nonce"].get<std::string>(), "nonce");
  auto wrapped = HexDecode(j["wrapped_key"].get<std::string>(), "wrapped_key");
  if (!nonce.ok() || !wrapped.ok() ||
      nonce->size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      wrapped->size() != kKeyBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return damaged("bad nonce or wrapped key");
  }
  const std::string ad = WrapAd(wrapped_by);
  unsigned char plain[kKeyBytes];
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain, &plain_len, nullptr, reinterpret_cast<const unsigned char*>(wrapped->data()),
          wrapped->size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          reinterpret_cast<const unsigned char*>(nonce->data()), master.key().data()) != 0 ||
      plain_len != kKeyBytes) {
    sodium_memzero(plain, sizeof(plain));
    return damaged("the wrapped key does not authenticate (tampered)");
  }
  auto key = SecretKey::FromBytes(std::string_view(reinterpret_cast<const char*>(plain), kKeyBytes));
  sodium_memzero(plain, sizeof(plain));
  LEPTON_RETURN_IF_ERROR(key.status());
  return std::make_shared<const DataKey>(std::move(*key), master.id());
}

absl::StatusOr<std::shared_ptr<const DataKey>> LoadOrCreateTableKey(const std::string& dir,
                                                                    const MasterKey& master,
                                                                    std::string_view table) {
  InitSodium();
  if (!HasTableKey(dir)) {
    LEPTON_RETURN_IF_ERROR(MakeDirs(dir));
    SecretKey data_key = SecretKey::Generate();
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    randombytes_buf(nonce, sizeof(nonce));
    unsigned char wrapped[kKeyBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES];
    unsigned long long wrapped_len = 0;
    const std::string ad = WrapAd(master.id());
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        wrapped, &wrapped_len, data_key.data(), kKeyBytes,
        reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
        master.key().data());
    const Json j = {
        {"format", kKeyFileFormat},
        {"algorithm", kWrapAlgorithm},
        {"master_key_id", master.id()},
        {"table", std::string(table)},
        {"nonce", HexEncode(std::string_view(reinterpret_cast<const char*>(nonce), sizeof(nonce)))},
        {"wrapped_key", HexEncode(std::string_view(reinterpret_cast<const char*>(wrapped),
                                                   static_cast<size_t>(wrapped_len)))}};
    LEPTON_RETURN_IF_ERROR(
        CreateFileExclusively(StrCat(dir, "/", kTableKeyFile), DumpJson(j) + "\n", 0600).status());
  }
  return LoadTableKey(dir, master, table);
}

}  // namespace lepton::lake::crypto
