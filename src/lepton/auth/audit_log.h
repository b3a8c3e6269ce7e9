#pragma once
// The audit log: an append-only, hash-chained record of every mutating call and every denied
// call. Entry n stores `hash_n = sha256(hash_{n-1} "\n" canonical_json(entry_n))` with
// `hash_0` = 64 zeros, and the table `audit_head` holds the last sequence number and hash, so
// that `Verify` finds the first entry that was edited, inserted or deleted — including entries
// deleted from the end. (Someone able to rewrite the whole table and the head can forge a
// consistent chain; anchor `Head()` elsewhere to defend against that: see docs/security.md.)
// Thread-safe; appends from several processes sharing one store are serialized by the store.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lepton/base/clock.h"
#include "lepton/store/meta_store.h"

namespace lepton::auth {

struct AuditEntry {
  int64_t seq = 0;          // assigned by `Append`
  std::string ts;           // RFC 3339, assigned by `Append`
  std::string actor;        // user name, or "-" when unauthenticated
  std::string action;       // e.g. "user.create", "auth.denied"
  std::string resource;     // e.g. "/api/v1/users/ada"
  std::string outcome;      // "ok", "denied", or "error:<CANONICAL_CODE>"
  std::string request_id;
  std::string detail;       // free text (e.g. the HTTP status and the error message)
  std::string prev_hash;
  std::string hash;
};

struct AuditQuery {
  int64_t after_seq = 0;     // entries with seq > after_seq
  int64_t limit = 100;       // at most this many, ascending by seq
  std::string actor;         // exact match when not empty
  std::string action;        // exact match when not empty
};

struct AuditVerifyReport {
  bool ok = true;
  int64_t entries = 0;            // entries checked
  int64_t first_bad_seq = 0;      // the first entry that fails, when !ok
  std::string problem;            // "edited", "inserted" or "deleted", when !ok
  std::string message;            // one readable sentence
};

class AuditLog {
 public:
  // `store` and `clock` must outlive the log.
  AuditLog(store::MetaStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // Appends `entry` (its seq, ts and hashes are assigned) and returns the stored entry.
  absl::StatusOr<AuditEntry> Append(AuditEntry entry);
  // Entries matching `query`, ascending by seq.
  absl::StatusOr<std::vector<AuditEntry>> List(const AuditQuery& query);
  // Walks the whole chain. The report says whether it is intact and, if not, the first bad entry.
  absl::StatusOr<AuditVerifyReport> Verify();
  // The chain head: last sequence number and its hash.
  absl::StatusOr<std::pair<int64_t, std::string>> Head();

  // The hash an entry with these fields must carry (exposed for tests and tools).
  static std::string ComputeHash(const AuditEntry& entry, const std::string& prev_hash);

 private:
  store::MetaStore& store_;
  Clock& clock_;
};

}  // namespace lepton::auth
