#pragma once
// Keys for encryption at rest of sensitive datasets.
//
// Two levels, as in envelope encryption: one 32-byte master key per installation (from the
// environment or a key file, see `LoadMasterKey`) and one random 32-byte data key per table.
// The data key encrypts the table's data files (see encrypted_file.h); it is stored only
// wrapped — encrypted with the master key (XChaCha20-Poly1305) — in the table folder as
// `_lepton_key.json`, next to the id of the master key that wrapped it. Losing the master key
// loses every sensitive dataset; deleting a table folder shreds its data key.
//
// Key bytes live in `SecretKey`, which zeroes them when destroyed and never prints them.
// Thread-safe: the types are immutable after creation; the functions may run concurrently
// (two writers creating a table's key at once agree on one of them).

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lepton::lake::crypto {

inline constexpr size_t kKeyBytes = 32;
// The table folder's file holding the wrapped data key.
inline constexpr char kTableKeyFile[] = "_lepton_key.json";
// The environment variables `LoadMasterKeyFromEnvironment` reads.
inline constexpr char kMasterKeyEnv[] = "LEPTON_MASTER_KEY";
inline constexpr char kMasterKeyFileEnv[] = "LEPTON_MASTER_KEY_FILE";

// 32 secret bytes, zeroed on destruction. Copyable (each copy zeroes itself).
class SecretKey {
 public:
  // A fresh key from the OS CSPRNG.
  static SecretKey Generate();
  // InvalidArgument unless `bytes` has exactly `kKeyBytes` bytes.
  static absl::StatusOr<SecretKey> FromBytes(std::string_view bytes);
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();

  const unsigned char* data() const { return bytes_.data(); }

 private:
  SecretKey() = default;
  std::array<unsigned char, kKeyBytes> bytes_{};
};

// The installation's master key and a public id derived from it (16 hex characters, a keyed
// BLAKE2b hash: it tells keys apart without revealing anything about them).
class MasterKey {
 public:
  explicit MasterKey(SecretKey key, std::string source = "");
  // Parses 64 hex characters or the base64 (standard or URL-safe, padded or not) of 32 bytes;
  // surrounding whitespace is ignored. InvalidArgument otherwise (the message never echoes the
  // text).
  static absl::StatusOr<MasterKey> Parse(std::string_view text, std::string source = "");

  const SecretKey& key() const { return key_; }
  const std::string& id() const { return id_; }
  // Where the key came from ("LEPTON_MASTER_KEY", a file path, ""), for messages.
  const std::string& source() const { return source_; }

 private:
  SecretKey key_;
  std::string id_;
  std::string source_;
};

struct MasterKeySources {
  std::optional<std::string> key;       // the key itself (LEPTON_MASTER_KEY); wins when set
  std::optional<std::string> key_file;  // a key file (LEPTON_MASTER_KEY_FILE)
  std::string default_key_file;         // used when neither is set, e.g. `<home>/master.key`
  bool create_if_missing = false;       // generate `default_key_file` (mode 0600) when absent
};

// Loads the master key from the first of `sources` that is set: the key text, the key file, the
// default key file. A key file holds the key as text (`Parse`) and must not be accessible to
// group or others. Returns nullopt when only the default file is in play, it is absent and
// `create_if_missing` is false. InvalidArgument for a malformed key; NotFound for a missing
// `key_file`; FailedPrecondition for a key file with too open permissions.
absl::StatusOr<std::optional<MasterKey>> LoadMasterKey(const MasterKeySources& sources);
// `LoadMasterKey` with `LEPTON_MASTER_KEY`, `LEPTON_MASTER_KEY_FILE` from the environment and
// `<home>/master.key` as the default file.
absl::StatusOr<std::optional<MasterKey>> LoadMasterKeyFromEnvironment(const std::string& home,
                                                                      bool create_if_missing);

// A table's unwrapped data key.
class DataKey {
 public:
  DataKey(SecretKey key, std::string master_key_id)
      : key_(std::move(key)), master_key_id_(std::move(master_key_id)) {}
  const SecretKey& key() const { return key_; }
  const std::string& master_key_id() const { return master_key_id_; }

 private:
  SecretKey key_;
  std::string master_key_id_;
};

// True when the table folder `dir` has a data key file.
bool HasTableKey(const std::string& dir);
// Reads and unwraps the data key of the table in `dir`. `table` names the table in messages.
// NotFound when the folder has no key file; FailedPrecondition when `master` is not the key that
// wrapped it (the message names both key ids); DataLoss for a damaged or tampered key file.
absl::StatusOr<std::shared_ptr<const DataKey>> LoadTableKey(const std::string& dir,
                                                            const MasterKey& master,
                                                            std::string_view table);
// `LoadTableKey`, but first creates the folder and a new wrapped data key when there is none.
// Concurrent callers on one folder get the same key.
absl::StatusOr<std::shared_ptr<const DataKey>> LoadOrCreateTableKey(const std::string& dir,
                                                                    const MasterKey& master,
                                                                    std::string_view table);

}  // namespace lepton::lake::crypto
